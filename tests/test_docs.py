"""The configuration reference covers every key the core defines."""

from pathlib import Path

import pytest

from payalert_core import PolledSourceConfig, SourceConfig, StreamSourceConfig
from payalert_core.config import DeliverySettings, HealthSettings, ServerSettings, Settings
from payalert_core.notifiers.console import ConsoleConfig
from payalert_core.sources.webhook import WebhookConfig

REFERENCE = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
MODELS = [
    Settings,
    ServerSettings,
    DeliverySettings,
    HealthSettings,
    SourceConfig,
    PolledSourceConfig,
    StreamSourceConfig,
    ConsoleConfig,
    WebhookConfig,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_key_is_in_the_reference(model):
    missing = [name for name in model.model_fields if name != "type" and f"| `{name}` |" not in REFERENCE]
    assert not missing, f"docs/configuration.md does not describe {missing}"
