"""Which config values are secret, and how texts shown to the user are cleaned of them."""

import json
from typing import Annotated

from pydantic import AfterValidator, BaseModel, SecretStr

from payalert_core.redaction import Redactor, SecretUrl, secret_strings, validated_secrets


def test_secrets_are_redacted_and_variables_named():
    redact = Redactor(secrets=["inline-secret-1"], variables={"HOST_VAR": "10.9.8.7", "TOKEN": "tok-en-42"})
    text = "cannot listen on 10.9.8.7:80 with inline-secret-1 and tok-en-42"
    assert redact(text) == "cannot listen on ${HOST_VAR}:80 with [redacted] and ${TOKEN}"


def test_escaped_forms_are_found_too():
    secret = "back\\slash'quote\"x"
    redact = Redactor(secrets=[secret])
    assert redact(f"unknown time zone {secret!r}") == "unknown time zone '[redacted]'"
    assert redact(json.dumps({"zone": secret})) == '{"zone": "[redacted]"}'


def test_short_values_are_left_alone_and_nothing_is_replaced_twice():
    redact = Redactor(secrets=["abc"], variables={"NAME": "ECRE", "LONG": "my-SECRET-value"})
    assert redact("abc my-SECRET-value ECRE") == "abc ${LONG} ${NAME}"


class _Inner(BaseModel):
    password: SecretStr
    host: str


class _Section(BaseModel):
    token: Annotated[SecretStr, AfterValidator(lambda value: value)] | None = None
    urls: list[SecretStr] = []
    accounts: dict[str, _Inner] = {}
    name: str = ""


def test_secret_strings_walk_models_lists_dicts_and_unions():
    raw = {
        "token": "t-1",
        "urls": ["u-1", "u-2"],
        "accounts": {"a": {"password": "p-1", "host": "h"}, "b": {"password": 5}},
        "name": "not secret",
        "extra": "ignored",
    }
    assert sorted(secret_strings(_Section, raw)) == ["p-1", "t-1", "u-1", "u-2"]
    assert secret_strings(_Section, ["not", "a", "mapping"]) == []


class _Store(BaseModel):
    url: SecretUrl


def test_only_the_passwords_of_a_secret_url_are_secret():
    cases = {
        "postgresql://payalert:pw-in-userinfo@db/payalert": ["pw-in-userinfo"],
        "postgresql:///payalert?user=payalert&password=pw-in-query": ["pw-in-query"],
        "postgresql:///payalert": [],
        "postgresql://[broken": ["postgresql://[broken"],  # unreadable as a URL: all of it
    }
    for url, secrets in cases.items():
        assert sorted(secret_strings(_Store, {"url": url})) == secrets
        assert validated_secrets([_Store(url=url)]) == set(secrets)
    assert "pw-in-userinfo" not in repr(_Store(url="postgresql://u:pw-in-userinfo@db/x"))
