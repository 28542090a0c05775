"""Keeping secrets out of what payalert shows: which config values are secret, and hiding them.

A value is secret when it sits in a field typed ``SecretStr`` (in the file or through ``${VAR}``);
a variable used in such a field makes its value secret wherever else it appears. Errors shown to
the user go further and never show any value that came from the environment: they name the
variable instead (``cannot listen on ${HOST}:8080``), since only the user knows what it holds.
"""

from __future__ import annotations

import inspect
import json
import re
import types
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, SecretStr

from .logs import REDACTED

#: Shorter values are not hidden: they would match inside ordinary words and numbers.
MIN_HIDDEN_LENGTH = 4


class Redactor:
    """Replaces secrets with ``[redacted]`` and values from ``${VAR}`` with ``${VAR}`` in a text.

    Each value is also found in the escaped forms an error message may quote it in (``repr``,
    JSON). One pass, longest first, so a replacement is never replaced again.
    """

    def __init__(self, secrets: Iterable[str] = (), variables: Mapping[str, str] | None = None) -> None:
        replacements: dict[str, str] = {}
        for name, value in (variables or {}).items():
            _add_forms(replacements, value, "${" + name + "}")
        for secret in secrets:
            _add_forms(replacements, secret, REDACTED)
        self._replacements = replacements
        ordered = sorted(replacements, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """``text`` with every known value replaced."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: self._replacements[match.group(0)], text)


class SecretUrl(SecretStr):
    """A URL that may hold a password (``postgresql://user:PASSWORD@host/db``, or ``?password=``).

    Like ``SecretStr`` it never shows in a repr; in logs, errors and CLI output only its password is
    hidden, so ``postgresql:///payalert`` can be named in a message while a password never is.
    """

    @staticmethod
    def secrets_in(url: str) -> set[str]:
        """The passwords ``url`` holds; the whole text when it cannot be read as a URL."""
        try:
            parts = urlsplit(url)
            found = {parts.password or "", *parse_qs(parts.query).get("password", [])}
        except ValueError:
            return {url}
        return {secret for secret in found if secret}

    def secret_parts(self) -> set[str]:
        """The passwords this URL holds."""
        return self.secrets_in(self.get_secret_value())


def _add_forms(replacements: dict[str, str], value: str, replacement: str) -> None:
    if len(value) < MIN_HIDDEN_LENGTH:
        return
    for form in (value, repr(value)[1:-1], json.dumps(value)[1:-1]):
        replacements.setdefault(form, replacement)


def secret_strings(annotation: Any, raw: Any) -> list[str]:
    """Every string in ``raw`` (a config document or part of one) that a field of ``annotation``
    types as ``SecretStr``, found by walking models, lists, dicts, unions and ``Annotated``.

    It reads the raw document, so it finds secrets even in a section that does not validate.
    """
    found: list[str] = []
    _walk(annotation, raw, found)
    return found


def _walk(annotation: Any, raw: Any, found: list[str]) -> None:
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if annotation is SecretUrl:
        found.extend(part for text in _strings(raw) for part in SecretUrl.secrets_in(text))
    elif annotation is SecretStr:
        found.extend(_strings(raw))
    elif origin is Annotated:
        _walk(arguments[0], raw, found)
    elif origin in (Union, types.UnionType):
        for argument in arguments:
            _walk(argument, raw, found)
    elif origin in (list, tuple, set, frozenset) and isinstance(raw, list) and arguments:
        for item in raw:
            _walk(arguments[0], item, found)
    elif origin is dict and isinstance(raw, dict) and len(arguments) == 2:
        for item in raw.values():
            _walk(arguments[1], item, found)
    elif inspect.isclass(annotation) and issubclass(annotation, BaseModel) and isinstance(raw, dict):
        for name, field in annotation.model_fields.items():
            key = field.alias or name
            if key in raw:
                _walk(field.annotation, raw[key], found)


def _strings(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [text for item in raw for text in _strings(item)]
    if isinstance(raw, dict):
        return [text for item in raw.values() for text in _strings(item)]
    return []


def validated_secrets(models: Iterable[BaseModel]) -> set[str]:
    """The values of every ``SecretStr`` in validated models (a validator may have changed them)."""
    secrets: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, SecretUrl):
            secrets.update(value.secret_parts())
        elif isinstance(value, SecretStr):
            secrets.add(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                visit(getattr(value, name))
        elif isinstance(value, (list, tuple, set)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    for model in models:
        visit(model)
    return secrets
