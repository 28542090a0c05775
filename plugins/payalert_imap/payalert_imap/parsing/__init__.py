"""The alert-text types, for the mail modules that import them from here; parsing is payalert-banktext."""
