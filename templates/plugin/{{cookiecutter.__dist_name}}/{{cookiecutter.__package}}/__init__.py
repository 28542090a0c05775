"""{{ cookiecutter.description }}"""

from __future__ import annotations

from collections.abc import Callable

{% if cookiecutter.kind == "notifier" -%}
from payalert_core import Notifier, hookimpl

from .notifier import {{ cookiecutter.__class_prefix }}Notifier

__all__ = ["{{ cookiecutter.__class_prefix }}Notifier"]


@hookimpl
def payalert_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    """Give payalert the ``{{ cookiecutter.plugin_name }}`` notifier type."""
    register({{ cookiecutter.__class_prefix }}Notifier)
{%- else -%}
from payalert_core import Source, hookimpl

from .source import {{ cookiecutter.__class_prefix }}Source

__all__ = ["{{ cookiecutter.__class_prefix }}Source"]


@hookimpl
def payalert_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Give payalert the ``{{ cookiecutter.plugin_name }}`` source type."""
    register({{ cookiecutter.__class_prefix }}Source)
{%- endif %}
