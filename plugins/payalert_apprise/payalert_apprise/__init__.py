"""payalert-apprise: payalert alerts to any service Apprise supports (``type: apprise``).

Importing this package stays light: Apprise itself (about half a second to import) is loaded only
when an ``apprise`` notifier is configured.
"""

from __future__ import annotations

from .config import AppriseNotifierConfig
from .notifier import AppriseNotifier

__all__ = ["AppriseNotifier", "AppriseNotifierConfig"]
