"""Built-in sources, registered through the same hook as third-party ones."""
