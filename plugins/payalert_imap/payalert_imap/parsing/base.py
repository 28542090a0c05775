"""``AlertText`` where ``message.py`` imports it from; it is payalert-banktext's."""

from payalert_banktext import AlertText

__all__ = ["AlertText"]
