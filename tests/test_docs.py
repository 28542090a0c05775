"""The configuration reference covers every key the core defines."""

import re
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from payalert_core import NotifierConfig, PolledSourceConfig, SourceConfig, StreamSourceConfig
from payalert_core.config import DeliverySettings, HealthSettings, ServerSettings, Settings
from payalert_core.configtypes import DigestConfig
from payalert_core.notifiers.console import ConsoleConfig
from payalert_core.sources.webhook import WebhookConfig
from payalert_core.statuspage.settings import StatusPageSettings
from payalert_core.store.settings import StoreSettings

REFERENCE = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
MODELS = [
    Settings,
    ServerSettings,
    DeliverySettings,
    StoreSettings,
    HealthSettings,
    StatusPageSettings,
    SourceConfig,
    PolledSourceConfig,
    StreamSourceConfig,
    ConsoleConfig,
    WebhookConfig,
    NotifierConfig,
    DigestConfig,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_key_is_in_the_reference(model):
    missing = [name for name in model.model_fields if name != "type" and f"| `{name}` |" not in REFERENCE]
    assert not missing, f"docs/configuration.md does not describe {missing}"


def test_sample_errors_name_keys_that_exist():
    """A sample error about a key (not an unknown-key sample) names a field some config section has."""
    from payalert_core.plugins import get_plugin_manager

    found = get_plugin_manager()
    classes = [cls.Config for cls in [*found.sources.values(), *found.notifiers.values()]]
    fields = {name for model in [*MODELS, *classes] for name in _field_names(model)}
    samples = re.findall(r"^payalert: error: ([\w.-]+): (.*)$", REFERENCE, re.MULTILINE)
    keyed = [path for path, message in samples if not message.startswith("unknown key")]
    keyed = [path for path in keyed if not path.endswith(".yaml")]  # about the file, not a key
    assert keyed
    for path in keyed:
        assert path.rsplit(".", 1)[-1] in fields, f"docs/configuration.md samples an error for {path}"


def _field_names(model, seen=None):
    """Field names of ``model`` and of the models nested in it."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for nested in _models_in(field.annotation):
            names |= _field_names(nested, seen)
    return names


def _models_in(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in get_args(annotation) for model in _models_in(argument)]
