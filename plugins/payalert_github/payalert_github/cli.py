"""``payalert github send-test``: sign a sample delivery with the configured secret and post it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import click

from payalert_core import CliContext, config_option, local_hook_url, sign_sha256

from .body import FORM, JSON
from .config import GitHubSponsorsConfig
from .samples import SAMPLE_EVENTS, sample_payload
from .signature import SIGNATURE_HEADER
from .source import DELIVERY_HEADER, EVENT_HEADER


@dataclass(frozen=True)
class ConfiguredSource:
    """A github source from the loaded config, and the address the daemon listens on."""

    name: str
    config: GitHubSponsorsConfig
    host: str
    port: int

    @property
    def webhook_url(self) -> str:
        """``http://host:port/hooks/<name>/`` as reached from this machine."""
        return local_hook_url(self.host, self.port, self.name)


def configured_source(state: CliContext | None, source_name: str | None) -> ConfiguredSource:
    """The github source named ``source_name`` (or the only one) in the config the ``payalert`` CLI loads."""
    if state is None:
        raise click.ClickException("run this as `payalert github send-test` so the config can be loaded")
    name, config = state.source_section(GitHubSponsorsConfig, "github", source_name)
    server = state.config.settings.server
    return ConfiguredSource(name, config, server.host, server.port)


def build_delivery(
    action: str, secret: str | None, content_type: str, delivery_id: str
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a signed sample delivery, exactly as GitHub would send them."""
    event, payload = sample_payload(action)
    text = json.dumps(payload)
    body = (urlencode({"payload": text}) if content_type == "form" else text).encode("utf-8")
    headers = {
        "Content-Type": FORM if content_type == "form" else JSON,
        "User-Agent": "payalert-send-test",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign_sha256(secret, body)
    return body, headers


def _opener(url: str) -> urllib.request.OpenerDirector:
    """Plain urllib, except that a daemon on this machine is never reached through an HTTP proxy."""
    host = urlsplit(url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1"):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


@click.group("github")
def github_commands() -> None:
    """GitHub Sponsors webhooks (payalert-github)."""


@github_commands.command("send-test")
@click.option(
    "--action",
    type=click.Choice(SAMPLE_EVENTS),
    default="created",
    show_default=True,
    help="Which sample to send: a sponsorship action, or ping.",
)
@click.option("--url", help="Where to post (default: this source's /hooks/<name>/ on the configured server).")
@click.option(
    "--source", "source_name", help="Name of the github source in the config (needed if there are several)."
)
@click.option(
    "--content-type",
    type=click.Choice(["json", "form"]),
    default="json",
    show_default=True,
    help="Send as application/json or as application/x-www-form-urlencoded.",
)
@click.option("--delivery-id", help="X-GitHub-Delivery to send (reuse one to see a redelivery deduplicated).")
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for the answer."
)
@config_option
@click.pass_context
def send_test(
    ctx: click.Context,
    action: str,
    url: str | None,
    source_name: str | None,
    content_type: str,
    delivery_id: str | None,
    timeout: float,
) -> None:
    """Sign a built-in sample delivery with the configured secret and post it to the running daemon."""
    source = configured_source(ctx.find_object(CliContext), source_name)
    secret = source.config.secret.get_secret_value() if source.config.secret is not None else None
    target = url or source.webhook_url
    delivery_id = delivery_id or str(uuid.uuid4())
    body, headers = build_delivery(action, secret, content_type, delivery_id)
    signed = "signed with the configured secret" if secret is not None else "UNSIGNED (no secret configured)"
    click.echo(f"POST {target} ({action} sample, delivery {delivery_id}, {signed})")
    request = urllib.request.Request(target, data=body, headers=headers, method="POST")
    try:
        with _opener(target).open(request, timeout=timeout) as response:
            status, reason, answer = response.status, response.reason, response.read(2000)
    except urllib.error.HTTPError as error:
        status, reason, answer = error.code, error.reason, error.read(2000)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise click.ClickException(
            f"could not reach {target}: {reason}; is `payalert run` running?"
        ) from None
    click.echo(f"{status} {reason}")
    text = answer.decode("utf-8", errors="replace").strip()
    if text:
        click.echo(text)
    if status == 401:
        raise click.ClickException(
            "the daemon rejected the signature: the secret in this config differs from the running daemon's"
        )
    if not 200 <= status < 300:
        raise click.ClickException(f"the daemon answered {status}; see its log for why")
