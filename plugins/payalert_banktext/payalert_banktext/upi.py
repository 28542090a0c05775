"""UPI credit notifications from any bank: "Rs.500 credited to your account … by VPA x@y …"."""

from __future__ import annotations

import re

from .model import AlertText
from .templates import Template, TemplateParser

REF = (
    r"(?:UPI |RRN |transaction )*(?:reference|ref)\.? ?(?:no|number|id)?\.?:?(?: is)? ?(?P<reference>\d{9,})"
)
UPI_REF = r"\(UPI:? ?(?P<reference>\d{9,})\)"
SENDER = r"Sender:? (?P<counterparty>[^()]+?) ?(?:\(VPA:? {VPA}\)|\(|\.(?: |$)|$)"
ACCOUNT_WORDS = r"(?:[A-Za-z]+ ){0,3}?(?:account|A/c|Acct|a/c)(?: ending(?: in)?| no\.?| number)?"

TEMPLATES = [
    # "Rs.500.00 has been successfully credited to your account **1329 by VPA x@y NAME on 01-07-26."
    Template(
        "credited_by_vpa",
        rf"{{AMT}} (?:has been |is |was )?(?:successfully )?credited to (?:your )?{ACCOUNT_WORDS} ?{{ACCT}}"
        r"(?: on {DATE})? (?:by|from) VPA {VPA}(?: (?P<counterparty>[^()]+?))?(?= on \d| \(|\.(?: |$)|$)",
        "credit",
        "upi",
        extras=(r" on {DATE}", REF, UPI_REF, SENDER),
    ),
    # "Your A/c XX1234 is credited with Rs 6000.00 on 26-Jun-25 by VPA x@y (UPI Ref No 123456789012)"
    Template(
        "account_credited_by_vpa",
        rf"{ACCOUNT_WORDS} ?{{ACCT}} (?:is |has been |was )?credited (?:with|by|for) {{AMT}}(?: on {{DATE}})?"
        r" (?:by|from) VPA {VPA}(?: (?P<counterparty>[^()]+?))?(?= on \d| \(|\.(?: |$)|$)",
        "credit",
        "upi",
        extras=(REF, UPI_REF, SENDER),
    ),
    # "Acct XX823 is credited with Rs 6000.00 on 26-Jun-25 from GANGA MANGA. UPI:5577822323232"
    Template(
        "account_credited_from_upi",
        r"(?:Acct|Account|A/c) {ACCT} (?:is |has been )?credited with {AMT} on {DATE} from (?P<counterparty>[^.]+?)\."
        r" UPI:? ?(?P<reference>\d{9,})",
        "credit",
        "upi",
    ),
    # "ur A/cX9709 credited by Rs519 on 03Dec23 by (Ref no 333785625735)" (UPI credit, payer not named)
    Template(
        "account_credited_by_upi_ref",
        r"(?:ur|your) A/c ?{ACCT}[- ](?:is )?credited by {AMT} on {DATE}(?: (?:by|transfer from) ?"
        r"(?P<counterparty>[^()]*?))? ?\(?Ref (?:no|number)\.? ?(?P<reference>\d{9,})",
        "credit",
        "upi",
    ),
]

NOT_TRANSACTIONS = {
    "a future credit, not a transaction yet": r"\bwill be (?:credited|debited)\b",
    "a collect request or mandate, not a payment": r"\bcollect request\b|\bmandate\b|\brequested money\b",
    "a failed or declined payment": r"\b(?:has|have) failed\b|\bdeclined\b",
}


def _applies(message: AlertText) -> bool:
    return bool(re.search(r"\bVPA\b|\bUPI\b", message.text))


def upi_parser() -> TemplateParser:
    """The built-in parser for UPI credit notifications of any bank (name ``upi``)."""
    return TemplateParser(
        name="upi",
        templates=TEMPLATES,
        domains=(),
        not_transactions=NOT_TRANSACTIONS,
        applies=_applies,
    )
