"""HDFC Bank alerts: UPI debits and credits, cards, NEFT/IMPS/RTGS, deposits, refunds, reversals."""

from __future__ import annotations

import re

from .model import AlertText
from .senders import domain_matches
from .templates import Template, TemplateParser

#: HDFC Bank's alert domains (the 2026 templates come from ``alerts@hdfcbank.bank.in``).
HDFC_DOMAINS: tuple[str, ...] = ("hdfcbank.bank.in", "hdfcbank.net", "hdfcbank.com")
_SMS_SENDER = re.compile(r"(?:^|[-\s])HDFC(?:BK|BN|B)?(?:[-\s]|$)", re.I)

REF = r"(?:UPI )?(?:transaction )?reference (?:no|number)\.?:?(?: is)? ?(?P<reference>\d{6,})"
AVL = r"(?:Avl|Available) bal(?:ance)?:? ?(?:is )?{BAL}"
SENDER = r"Sender:? (?P<counterparty>[^()]+?) ?(?:\(VPA:? {VPA}\)|\(|\.(?: |$)|$)"

TEMPLATES = [
    # E-mail, 2026 template: "Rs.1500.00 is debited from your account ending 4477 towards VPA x@y (NAME) on 02-06-26."
    Template(
        "upi_debit_towards_vpa",
        r"{AMT} (?:is|has been) debited from your (?:HDFC Bank )?(?:account|A/c) (?:ending (?:in )?|no\.? )?{ACCT}"
        r" towards VPA {VPA} \((?P<counterparty>[^)]+)\) on {DATE}",
        "debit",
        "upi",
        extras=(REF,),
    ),
    # E-mail: "Rs. INR 1,234.50 is debited from your account XX2014 for UPI txn to VPA x@y NAME on 15 Jan 2025."
    Template(
        "upi_debit_to_vpa",
        r"{AMT} (?:is|has been) debited from (?:your )?(?:HDFC Bank )?(?:account|A/c) (?:ending (?:in )?)?{ACCT}"
        r"(?: for UPI (?:txn|transaction))? to VPA {VPA}(?: (?P<counterparty>[^()]+?))? on {DATE}",
        "debit",
        "upi",
        extras=(REF,),
    ),
    # E-mail: "Rs.537.00 is debited from your HDFC Bank Debit Card ending 5610 at SHOP on 01 Jun, 2026 at 13:36:21."
    Template(
        "card_debit",
        r"{AMT} (?:is|has been) debited from your HDFC Bank (?P<card>Debit|Credit|Prepaid) Card ending {ACCT}"
        r" at (?P<counterparty>.+?) on {DATE}(?: at {TIME})?",
        "debit",
        "card",
    ),
    # E-mail: "Rs. 167.00 is successfully credited to your account **4477 by VPA x@y NAME on 01-05-26."
    Template(
        "upi_credit_by_vpa",
        r"{AMT} (?:is|has been) (?:successfully )?credited to your (?:HDFC Bank )?(?:account|A/c)"
        r" (?:ending (?:in )?)?{ACCT} by VPA {VPA}(?: (?P<counterparty>[^()]+?))? on {DATE}",
        "credit",
        "upi",
        extras=(REF, SENDER),
    ),
    # E-mail, 2026 template: "Rs.2000.00 has been successfully credited to your HDFC Bank account ending in 4477."
    Template(
        "credit_with_details",
        r"{AMT} has been (?:successfully )?credited to your HDFC Bank (?:account|A/c) ending (?:in )?{ACCT}(?!\d)",
        "credit",
        "auto",
        extras=(r"\bDate:? {DATE}", SENDER, r"UPI Reference No\.?:? ?(?P<reference>\d{6,})", REF),
    ),
    # E-mail "New Deposit Alert": "Amount received: INR 78,367.00 Account: XX1011 Date: 29-JUN-2026 Reference Details: …"
    Template(
        "deposit_details",
        r"received a credit in your HDFC Bank account\.? Details of the transaction:? Amount received:? {AMT}"
        r" Account:? {ACCT} Date:? {DATE}(?: Reference Details:? (?P<narration>.+?)(?= Available Balance|$))?",
        "credit",
        "auto",
        extras=(AVL,),
    ),
    # SMS: "INR 11,000.00 deposited in HDFC Bank A/c XX2536 on 15-OCT-24 for NARRATION.Avl bal INR 26,475.53"
    Template(
        "deposited_in",
        r"{AMT} deposited in HDFC Bank A/c {ACCT} on {DATE} for (?P<narration>.+?)\.? ?Avl bal:? ?{BAL}",
        "credit",
        "auto",
    ),
    # SMS: "Sent Rs.45.00 From HDFC Bank A/C *1234 To NAME On 23/05/26 Ref 123456789012"
    Template(
        "upi_sent",
        r"Sent {AMT} From HDFC Bank A/C {ACCT} To (?P<counterparty>.+?) On {DATE} Ref:? ?(?P<reference>\d{6,})",
        "debit",
        "upi",
    ),
    # SMS: "Spent Rs.388.19 On HDFC Bank Card 9922 At SHOP on 2025-06-22:08:01:24"
    Template(
        "card_spent",
        r"Spent {AMT} On HDFC Bank (?:(?P<card>Credit|Debit|Prepaid) )?Card {ACCT} At (?P<counterparty>.+?)"
        r" on ?{DATE}(?::{TIME})?",
        "debit",
        "card",
    ),
    # SMS: "You've spent Rs.349 On HDFC Bank CREDIT Card xx1335 At SHOP..."
    Template(
        "card_youve_spent",
        r"You(?:'ve| have) spent {AMT} On HDFC Bank (?:(?P<card>Credit|Debit|Prepaid) )?Card {ACCT}"
        r" At (?P<counterparty>.+?)(?: on ?{DATE}(?::{TIME})?|\.{2,}|\.(?: |$)|$)",
        "debit",
        "card",
    ),
    # SMS: "Rs.6175 spent on HDFC Bank Card x2477 at SHOP on 2024-11-13:17:18:38"
    Template(
        "card_amount_spent",
        r"{AMT} spent on HDFC Bank (?:(?P<card>Credit|Debit|Prepaid) )?Card {ACCT} at (?P<counterparty>.+?)"
        r" on ?{DATE}(?::{TIME})?",
        "debit",
        "card",
    ),
    # SMS: "Rs.199 without OTP/PIN HDFC Bank Card x4433 At NETFLIX On 2024-07-05:23:03:33"
    Template(
        "card_without_otp",
        r"{AMT} without OTP/PIN HDFC Bank (?:(?P<card>Credit|Debit) )?Card {ACCT} At (?P<counterparty>.+?)"
        r" On {DATE}(?::{TIME})?",
        "debit",
        "card",
    ),
    # SMS: "Paid: INR 100 on HDFC Bank Prepaid Card 2742 at PAY*SWIGGY on 13-MAY-25 01:05 PM"
    Template(
        "card_paid",
        r"Paid:? {AMT} on HDFC Bank (?:(?P<card>Prepaid|Credit|Debit) )?Card {ACCT} at (?P<counterparty>.+?)"
        r" on {DATE}(?: {TIME})?",
        "debit",
        "card",
    ),
    # SMS: "Txn Rs.1118.00 On HDFC Bank Card 1240 At x@paytm by UPI 506896333065 On 02-11"
    Template(
        "card_upi_txn",
        r"Txn {AMT} On HDFC Bank (?:(?P<card>Credit|Debit|RuPay Credit) )?Card {ACCT} At (?P<counterparty>.+?)"
        r" by UPI (?P<reference>\d{6,}) On {DATE}",
        "debit",
        "upi",
    ),
    # SMS: "You have spent MYR 55.50 at STARBUCKS."
    Template(
        "spent_at",
        r"You(?:'ve| have) spent {AMT} at (?P<counterparty>[^.]+?)(?: on {DATE})?\.(?: |$)",
        "debit",
        "card",
    ),
    # SMS: "Your account with HDFC Bank has been debited for Rs. 750.50 at Amazon on 22-Jun-2025."
    Template(
        "account_debited_at",
        r"Your account with HDFC Bank has been debited for {AMT} at (?P<counterparty>.+?) on {DATE}",
        "debit",
        "account",
    ),
    # SMS: "A purchase of 500.00 was made at some store."
    Template(
        "purchase_made_at",
        r"A purchase of (?:(?P<currency>[A-Z]{3}|Rs\.?|INR|₹) ?)?(?P<amount>{NUMBER}) (?:was|has been) made"
        r" at (?P<counterparty>[^.]+?)(?: on (?:your )?(?:HDFC Bank )?card(?: {ACCT})?)?\.(?: |$)",
        "debit",
        "card",
    ),
    # SMS: "Rs.2.00 credited to HDFC Bank A/c xx2536 on 07-12-24 from VPA x@y (UPI 526830463424)"
    Template(
        "upi_credited_from_vpa",
        r"{AMT} credited to HDFC Bank A/c {ACCT} on {DATE} from VPA {VPA}(?: \(UPI (?P<reference>\d{6,})\))?",
        "credit",
        "upi",
    ),
    # SMS: "Money Received - INR 1.00 in your HDFC Bank A/c xx2536 on 17-12-24 by SOMEONE (IMPS Ref No. 435202444399)"
    Template(
        "money_received",
        r"Money Received ?-? ?{AMT} in your HDFC Bank A/c {ACCT} on {DATE} by (?P<counterparty>.+?)"
        r" \((?P<channel>IMPS|NEFT|UPI|RTGS) Ref No\.? ?(?P<reference>\w+)\)",
        "credit",
        "account",
        extras=(AVL,),
    ),
    # SMS: "IMPS INR 10.00 sent from HDFC Bank A/c XX2536 on 14-04-25 To A/c xxxxxxx8305 Ref-510419375047"
    Template(
        "channel_sent",
        r"(?P<channel>IMPS|NEFT|RTGS|UPI) {AMT} sent from HDFC Bank A/c {ACCT} on {DATE} To (?P<counterparty>.+?)"
        r" Ref[-:]? ?(?P<reference>\w{6,})",
        "debit",
        "account",
    ),
    # SMS: "Money Sent-INR 15,000.00 From HDFC Bank A/c XX5733 on 28-10-23 To A/c xxxx9709 IMPS Ref-330120320348"
    Template(
        "money_sent",
        r"Money Sent ?-? ?{AMT} From HDFC Bank A/c {ACCT} on {DATE} To (?P<counterparty>.+?)"
        r" (?P<channel>IMPS|NEFT|UPI|RTGS) Ref[-:]? ?(?P<reference>\w{6,})",
        "debit",
        "account",
        extras=(AVL,),
    ),
    # SMS: "Rs. 2.00 debited from HDFC Bank A/c **6982 on 17-12 to A/c **3377 (UPI Ref No 435221138842)."
    Template(
        "debited_to",
        r"{AMT} debited from HDFC Bank A/c {ACCT} on {DATE} to (?P<counterparty>.+?)"
        r" \((?P<channel>UPI|IMPS|NEFT|RTGS) Ref No\.? ?(?P<reference>\w+)\)",
        "debit",
        "account",
    ),
    # SMS: "Rs.180,000.00 is debited from A/c XXXX5733 for NEFT transaction via HDFC Bank NetBanking."
    Template(
        "debited_for_via",
        r"{AMT} is debited from A/c {ACCT} for (?P<counterparty>.+?) via HDFC Bank",
        "debit",
        "auto",
    ),
    # SMS: "Amt Deducted! Rs.100000 from your HDFC Bank A/c XX1736 for NEFT transaction via HDFC Bank Online Banking"
    Template(
        "amount_deducted",
        r"Amt Deducted!? {AMT} from your HDFC Bank A/c {ACCT} for (?P<counterparty>.+?) via HDFC Bank",
        "debit",
        "auto",
    ),
    # SMS: "PAYMENT ALERT! INR 4000.00 deducted from HDFC Bank A/C No 4677 towards Quant Mutual Fund UMRN: …"
    Template(
        "deducted_towards",
        r"{AMT} deducted from HDFC Bank A/C (?:No\.? )?{ACCT} towards (?P<counterparty>.+?)"
        r"(?: UMRN:? ?(?P<umrn>\S+)|\.(?: |$)|$)",
        "debit",
        "account",
    ),
    # SMS: "Rs 3300 has been credited on your credit card ending 4433 from AIRTEL Gurgaon IND on 02/JUN/2024."
    Template(
        "card_credited",
        r"{AMT} has been credited (?:on|to) your (?:HDFC Bank )?(?P<card>credit|debit) card ending {ACCT}"
        r" from (?P<counterparty>.+?) on {DATE}",
        "credit",
        "card",
    ),
    # Refunds and reversals: "Rs.250.00 has been credited to your A/c XX1234 on 03-06-26 as reversal of UPI txn …"
    Template(
        "reversal_credited",
        r"{AMT} (?:has been|is) (?:credited|reversed|refunded)(?: back)? to your (?:HDFC Bank )?"
        r"(?:account|A/c|credit card|debit card)(?: ending(?: in)?| no\.?)? {ACCT}(?: on {DATE})?"
        r" (?:as|towards|being|for) (?:a |the )?(?P<what>reversal|refund)\b(?: of (?P<counterparty>[^.()]+?))?"
        r"(?= \(|\.(?: |$)|$| Ref| UPI)",
        "credit",
        "refund",
        extras=(REF, r"\bRef(?:erence)?(?: No)?\.?:? ?(?P<reference>\d{9,})"),
    ),
    # Refunds: "AMAZON refund of Rs 372 credited to HDFC Bank Credit Card XX2001 on 25-JUN-24"
    Template(
        "refund_of_credited",
        r"(?:(?P<counterparty>[\w*.& -]{2,40}?) )?(?:refund|reversal) of {AMT} (?:has been )?credited to"
        r" (?:your )?HDFC Bank (?:(?P<card>Credit|Debit) Card|A/c|account) {ACCT}(?: on {DATE})?",
        "credit",
        "refund",
    ),
]

NOT_TRANSACTIONS = {
    "a declined transaction moves no money": r"\b(?:is|was|been|txn|transaction) declined\b",
    "a future debit or credit, not a transaction yet": r"\bwill be (?:debited|deducted|credited|charged)\b",
    "a mandate or AutoPay registration": r"\bE-?Mandate\b|\bAutoPay \(E-mandate\)",
    "a one-time password": r"\bOTP (?:is|for)\b|\bis (?:your|the) OTP\b|\bOne Time Password\b",
    "a transfer that was only initiated": r"\b(?:txn|transaction|transfer) initiated\b|\bhas been initiated\b",
    "a low-balance notice": r"\bhas dropped below\b",
    "a payee change": r"\badded/modified (?:a )?payee\b",
    "reward points, not money": r"\bReward Points\b",
    "a statement or a bill that is due": (
        r"\b(?:e-?)?statement\b.{0,60}\b(?:is ready|has been (?:sent|generated|mailed)|for the period)\b"
        r"|\bis due on\b|\bminimum (?:amount )?due\b"
    ),
    "a service request": r"\bRequest Received!",
    "a delivery notice": r"\bWelcome Kit\b",
    "an EMI offer": r"\bSplit Rs\.?\s?\d",
}


def _applies(message: AlertText) -> bool:
    if message.sender_domain:
        if domain_matches(message.sender_domain, HDFC_DOMAINS):
            return True
        if f".{message.sender_domain}".rsplit(".", 2)[-2].endswith("bank"):
            return False  # another bank's mail that merely mentions HDFC (e.g. a NEFT narration)
    elif message.sender and _SMS_SENDER.search(message.sender):
        return True
    return "hdfc" in message.text.lower()


def hdfc_parser() -> TemplateParser:
    """The built-in HDFC Bank parser (name ``hdfc``); its alerts are trusted from HDFC domains only."""
    return TemplateParser(
        name="hdfc",
        templates=TEMPLATES,
        domains=HDFC_DOMAINS,
        not_transactions=NOT_TRANSACTIONS,
        applies=_applies,
    )
