"""Forged bank alerts, built at test time from the corpus's genuine HDFC UPI debit (never copied here).

Each forgery is the genuine alert changed the way a forger can change it, most moving the amount
from Rs.1500.00 to Rs.49,999.00, grouped by the kind of weakness it tries. ``harmful`` is a
verdict that would hurt the user: a trusted payment.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from .corpus import corpus_path

GENUINE_FILE = "hdfc_upi_debit_1.eml"
GENUINE_SENTENCE = (
    "Rs.1500.00 is debited from your account ending 4477 towards VPA fthdailyesbz@yesbank "
    "(FRESHALICIOUS SUPER BAZAAR) on 02-06-26."
)
FORGED_SENTENCE = GENUINE_SENTENCE.replace("Rs.1500.00", "Rs.49,999.00")
#: The genuine amount told in words no parser reads: a reader sees Rs.1,500, payalert reads nothing.
UNREADABLE_SENTENCE = "Rs.1,500.00 has left your account ending 4477 for a UPI payment to FRESHALICIOUS SUPER BAZAAR on 02-06-26."
PROVIDER_FAIL = (
    "mx.google.com; dkim=none (no signature); spf=fail (google.com: domain of bounce@evil.example does not "
    "designate 198.51.100.7 as permitted sender) smtp.mailfrom=bounce@evil.example; "
    "dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=hdfcbank.bank.in"
)
FORGED_PASS = (
    "mx.google.com; dkim=pass header.d=hdfcbank.bank.in header.i=@hdfcbank.bank.in; "
    "dmarc=pass (p=REJECT) header.from=hdfcbank.bank.in"
)
OUTLOOK_FAIL = (
    "spf=fail (sender IP is 198.51.100.7) smtp.mailfrom=evil.example; dkim=none (message not signed) "
    "header.d=none;dmarc=fail action=oreject header.from=hdfcbank.bank.in;compauth=fail reason=000"
)
KINDS = {
    1: "forged Authentication-Results that is not the provider's topmost",
    2: "forged ARC results",
    3: "a ';' inside a quoted string of the provider's header",
    4: "someone else's genuine alert",
    5: "hidden text, or parts and sentences that disagree",
    6: "dmarc=pass without header.from for the From domain",
}


@dataclass(frozen=True)
class Forgery:
    """One forged mail: its kind (see :data:`KINDS`), its name, the bytes, and the source settings it meets."""

    kind: int
    name: str
    raw: bytes
    settings: dict[str, Any] = field(default_factory=dict)


def genuine_alert() -> bytes:
    """The real HDFC alert (Rs.1500.00 debited from ••4477, Gmail's passing header on top)."""
    return corpus_path("bank", "eml", GENUINE_FILE).read_bytes()


def _header_lines(raw: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and lines:
            lines[-1] += b"\r\n" + line
        else:
            lines.append(line)
    return lines, body


def _join(lines: list[bytes], body: bytes) -> bytes:
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _is(line: bytes, name: str) -> bool:
    return line.lower().startswith(name.lower().encode() + b":")


def with_headers(raw: bytes, *, drop: tuple[str, ...] = (), top: tuple[tuple[str, str], ...] = ()) -> bytes:
    """``raw`` without the headers named in ``drop`` and with ``top`` added above all others."""
    lines, body = _header_lines(raw)
    kept = [line for line in lines if not any(_is(line, name) for name in drop)]
    return _join([f"{name}: {value}".encode() for name, value in top] + kept, body)


def replace_header(raw: bytes, name: str, value: str, occurrence: int = 0) -> bytes:
    """``raw`` with one header (the ``occurrence``-th of ``name``, top first) set to ``value``."""
    lines, body = _header_lines(raw)
    found = [i for i, line in enumerate(lines) if _is(line, name)]
    lines[found[occurrence]] = f"{name}: {value}".encode()
    return _join(lines, body)


def insert_after(raw: bytes, name: str, header: str, value: str) -> bytes:
    """``raw`` with ``header: value`` added just below the first ``name`` header."""
    lines, body = _header_lines(raw)
    index = next(i for i, line in enumerate(lines) if _is(line, name))
    lines.insert(index + 1, f"{header}: {value}".encode())
    return _join(lines, body)


def genuine_html(raw: bytes) -> str:
    """The decoded HTML part of ``raw``."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return part.get_content()  # type: ignore[attr-defined]


def with_body(raw: bytes, html: str, plain: str | None = None) -> bytes:
    """``raw``'s headers with a new body: ``html`` (quoted-printable), after ``plain`` when given."""
    content = EmailMessage()
    if plain is None:
        content.set_content(html, subtype="html", cte="quoted-printable")
    else:
        content.set_content(plain, cte="quoted-printable")
        content.add_alternative(html, subtype="html", cte="quoted-printable")
        content.set_boundary("forged-alternative")  # fixed, so a forgery is the same bytes every time
    new = content.as_bytes(policy=email.policy.SMTP)
    new_lines, new_body = _header_lines(new)
    lines, _ = _header_lines(raw)
    kept = [
        line for line in lines if not any(_is(line, n) for n in ("Content-Type", "Content-Transfer-Encoding"))
    ]
    return _join(kept + [line for line in new_lines if not _is(line, "MIME-Version")], new_body)


def _html_sentence(raw: bytes, replacement: str) -> str:
    html = genuine_html(raw)
    assert GENUINE_SENTENCE in html
    return html.replace(GENUINE_SENTENCE, replacement)


def _provider_fails(raw: bytes) -> bytes:
    """The mail as a forger's server delivers it: the provider's own header says DKIM and DMARC failed."""
    return replace_header(raw, "Authentication-Results", PROVIDER_FAIL)


def _raised(raw: bytes) -> bytes:
    return with_body(raw, _html_sentence(raw, FORGED_SENTENCE))


def forgeries() -> list[Forgery]:
    """Every forged mail, kind by kind."""
    genuine = genuine_alert()
    raised = _raised(genuine)
    delivered = _provider_fails(raised)
    forged = [
        *_not_topmost(delivered),
        *_arc(raised, delivered),
        *_quoted(raised),
        *_other_account(genuine),
        *_hidden(genuine),
        *_dmarc_without_from(raised),
    ]
    return [
        Forgery(f.kind, f.name, replace_header(f.raw, "Message-ID", f"<forged-{i}@evil.example>"), f.settings)
        for i, f in enumerate(forged)
    ]


def _not_topmost(delivered: bytes) -> list[Forgery]:
    name = "Authentication-Results"
    variants = {
        "plain": FORGED_PASS,
        "in capitals": FORGED_PASS.upper(),
        "with comments": "mx.google.com (forged); dkim=pass (ok) header.d=hdfcbank.bank.in; dmarc=pass (ok) "
        "header.from=hdfcbank.bank.in",
        "with a version": "mx.google.com 1; dkim=pass header.d=hdfcbank.bank.in; dmarc=pass "
        "header.from=hdfcbank.bank.in",
        "folded": "mx.google.com;\r\n\tdkim=pass\r\n header.d=hdfcbank.bank.in;\r\n dmarc=pass "
        "header.from=hdfcbank.bank.in",
        "dkim=fail then dkim=pass": "mx.google.com; dkim=fail header.d=hdfcbank.bank.in; "
        "dkim=pass header.d=hdfcbank.bank.in",
    }
    fetched = with_headers(delivered, drop=(name,), top=((name, "mail.isp.example; none"),))
    found = [
        Forgery(1, "forged pass below the provider's fail", insert_after(delivered, name, name, FORGED_PASS))
    ]
    for variant, value in variants.items():
        found.append(
            Forgery(1, f"{variant}, above the provider's fail", with_headers(delivered, top=((name, value),)))
        )
        found.append(
            Forgery(
                1,
                f"{variant}, provider wrote none (a fetcher's header on top)",
                insert_after(fetched, name, name, value),
            )
        )
    outlook = with_headers(delivered, drop=(name,), top=((name, OUTLOOK_FAIL),))
    empty_id = {"allow_empty_authserv_id": True, "authserv_ids": ()}
    unnamed_pass = "dkim=pass header.d=hdfcbank.bank.in; dmarc=pass header.from=hdfcbank.bank.in"
    found += [
        Forgery(
            1,
            "Outlook: '(x); dkim=pass' alone",
            with_headers(delivered, drop=(name,), top=((name, "(x); dkim=pass header.d=hdfcbank.bank.in"),)),
            empty_id,
        ),
        Forgery(
            1,
            "Outlook: forged pass above Outlook's fail",
            with_headers(outlook, top=((name, unnamed_pass),)),
            empty_id,
        ),
        Forgery(
            1,
            "Outlook: forged pass below Outlook's fail",
            insert_after(outlook, name, name, unnamed_pass),
            empty_id,
        ),
    ]
    return found


def _arc(raised: bytes, delivered: bytes) -> list[Forgery]:
    arc = "ARC-Authentication-Results"
    forged_arc = f"i=2; {FORGED_PASS}"
    seal = "i=2; a=rsa-sha256; t=1780346338; cv=pass; d=evil.example; s=arc; b=Zm9yZ2Vk"
    no_provider = with_headers(raised, drop=("Authentication-Results",))
    return [
        Forgery(
            2,
            "forged ARC i=2 above the genuine i=1, no provider header",
            with_headers(no_provider, top=((arc, forged_arc), ("ARC-Seal", seal))),
        ),
        Forgery(
            2,
            "forged ARC i=2 with the provider's fail",
            with_headers(delivered, top=((arc, forged_arc), ("ARC-Seal", seal))),
        ),
    ]


def _quoted(raised: bytes) -> list[Forgery]:
    mailfrom = '"x;dkim=pass header.d=hdfcbank.bank.in;y"@evil.example'
    with_dmarc = f"mx.google.com; dkim=none; spf=pass smtp.mailfrom={mailfrom}; dmarc=fail header.from=hdfcbank.bank.in"
    return [
        Forgery(
            3,
            "quoted MAIL FROM holding ';dkim=pass'",
            replace_header(raised, "Authentication-Results", with_dmarc),
        ),
        Forgery(
            3,
            "quoted MAIL FROM, provider without DMARC",
            replace_header(
                raised,
                "Authentication-Results",
                f"mx.google.com; dkim=none; spf=pass smtp.mailfrom={mailfrom}",
            ),
        ),
    ]


def _other_account(genuine: bytes) -> list[Forgery]:
    return [
        Forgery(4, "someone else's alert, accounts set", genuine, {"accounts": ("1234",)}),
        Forgery(
            4, "someone else's alert, owner_addresses set", genuine, {"owner_addresses": ("me@gmail.com",)}
        ),
        Forgery(
            4,
            "someone else's alert with the user's To added",
            with_headers(genuine, top=(("To", "me@gmail.com"),)),
            {"owner_addresses": ("me@gmail.com",)},
        ),
    ]


def _hidden(genuine: bytes) -> list[Forgery]:
    def hiding(style: str) -> bytes:
        return with_body(
            genuine,
            _html_sentence(genuine, f'{UNREADABLE_SENTENCE}<div style="{style}">{FORGED_SENTENCE}</div>'),
        )

    classed = _html_sentence(genuine, f'{UNREADABLE_SENTENCE}<div class="x">{FORGED_SENTENCE}</div>')
    classed = classed.replace("</style>", ".x{display:none}</style>", 1)
    other_account = GENUINE_SENTENCE.replace("4477", "9911")
    return [
        Forgery(5, "display:none", hiding("display:none")),
        Forgery(5, "visibility:hidden", hiding("visibility:hidden")),
        Forgery(5, "font-size:0", hiding("font-size:0px")),
        Forgery(5, "white on white", hiding("color:#ffffff")),
        Forgery(5, "hidden by a <style> class", with_body(genuine, classed)),
        Forgery(
            5,
            "in an HTML comment",
            with_body(genuine, _html_sentence(genuine, f"{UNREADABLE_SENTENCE}<!-- {FORGED_SENTENCE} -->")),
        ),
        Forgery(
            5,
            "text/plain says what the HTML does not",
            with_body(genuine, genuine_html(genuine), plain=f"Dear Customer, {FORGED_SENTENCE}"),
        ),
        Forgery(
            5,
            "two sentences, one amount, two accounts",
            with_body(genuine, _html_sentence(genuine, f"{GENUINE_SENTENCE}<br>{other_account}")),
        ),
        Forgery(
            5,
            "two sentences, two amounts",
            with_body(genuine, _html_sentence(genuine, f"{GENUINE_SENTENCE}<br>{FORGED_SENTENCE}")),
        ),
    ]


def _dmarc_without_from(raised: bytes) -> list[Forgery]:
    spf = "spf=pass smtp.mailfrom=bounce@evil.example"
    return [
        Forgery(
            6,
            "dmarc=pass, no header.from",
            replace_header(raised, "Authentication-Results", f"mx.google.com; dkim=none; {spf}; dmarc=pass"),
        ),
        Forgery(
            6,
            "dmarc=pass, header.from only in a comment",
            replace_header(
                raised,
                "Authentication-Results",
                f"mx.google.com; dkim=none; {spf}; dmarc=pass (header.from=hdfcbank.bank.in)",
            ),
        ),
    ]
