"""Built-in notifiers, registered through the same hook as third-party ones."""
