"""The grammar's parts one by one: amounts, directions, accounts, references, parties, dates, text."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from payalert_banktext import IST
from payalert_banktext.grammar.accounts import holder_account, last_digits, mentions
from payalert_banktext.grammar.amounts import canonical, find_amounts
from payalert_banktext.grammar.dates import transaction_time
from payalert_banktext.grammar.directions import bindings
from payalert_banktext.grammar.parties import find_party
from payalert_banktext.grammar.references import find_reference
from payalert_banktext.grammar.text import normalise


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Rs.1,50,000.00 debited", "150000.00", "INR"),
        ("Rs 500 debited", "500.00", "INR"),
        ("Rs:1.03 credited", "1.03", "INR"),
        ("INR.26.00 debited", "26.00", "INR"),
        ("INR .05 spent", "0.05", "INR"),
        ("Rs. INR 1,234.50 debited", "1234.50", "INR"),
        ("INR Rs.15000.00 credited", "15000.00", "INR"),
        ("₹8063 paid", "8063.00", "INR"),
        ("USD 11.80 spent", "11.80", "USD"),
        ("credited with 15000INR on", "15000.00", "INR"),
        ("received Rs 600 /- by", "600.00", "INR"),
        ("INR 100,000.50 credited", "100000.50", "INR"),
    ],
)
def test_amount_forms(text: str, value: str, currency: str) -> None:
    found = find_amounts(canonical(text))
    assert [(a.value, a.currency) for a in found][:1] == [(Decimal(value), currency)]


@pytest.mark.parametrize(
    "text", ["Rs.15OOO credited", "Rs.15,OOO/- credited", "FOR 500 credited", "Rs at store"]
)
def test_numbers_that_are_no_amount(text: str) -> None:
    assert find_amounts(canonical(text)) == []


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Avl Bal: Rs.45000.00", "balance"),
        ("Total Bal:Rs.6114.76CR", "balance"),
        ("Avl Lmt INR 413940.4", "limit"),
        ("Available credit limit Rs 95,432.11", "limit"),
        ("Total Amt Due Rs 8153", "due"),
        ("worth upto Rs.2,00,000", "offer"),
        ("Rs500 worth points", "offer"),
        ("for a max amount upto Rs. 75000.00", "offer"),
        ("debited for Rs 240.00", "amount"),
    ],
)
def test_an_amount_knows_when_it_is_a_balance_a_limit_or_an_offer(text: str, role: str) -> None:
    assert [a.role for a in find_amounts(canonical(text))] == [role]


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Rs.500 debited from A/c XX1234", "debit"),
        ("ICICI Bank Acct XX823 debited for Rs 240.00 on 28-Jul-25; DAKSHIN CAFE credited.", "debit"),
        (
            "Your a/c no. XX4801 is credited for Rs.6635.00 on 21-12-22 and debited from a/c no. XX9549",
            "credit",
        ),
        ("Rs.711.52 Dr. from A/C XX1236 and Cr. to shop@okaxis.", "debit"),
        ("Cashback of Rs.50.00 has been sent to your Kotak Bank A/c x5555.", "credit"),
        ("Sent Rs.45.00 From HDFC Bank A/C *1234 To Asha", "debit"),
        ("Net interest INR 248.07 paid on your Deposit No 300***123456", "credit"),
        ("Digital Gold has received Rs 21.00 from your A/c 7990 via NEFT", "debit"),
        ("NEFT Txn No N520 for Rs 1,500.00 has been credited to Manga Penga", "debit"),
        ("Payment of INR 1180.01 has been received towards your SBI card XX1121", "credit"),
        ("Payment of Rs 150.50 using Apay Balance successful at merchant.", "debit"),
        ("Thank you for your payment of Rs.2537.75 for your Kotak Credit Card ending xx7291", "credit"),
        ("Your transaction of Rs.5000 at AMAZON has been reversed.", "credit"),
        ("INR 2 from Airport Lounge refunded to your Kotak Credit Card x8848", "credit"),
        ("Mom paid you Rs. 150.50", "credit"),
        ("You paid DAD ₹1.00", "debit"),
        ("A/C X0763 debited by 185.0 on date 09Dec24", "debit"),
        ("Your Sodexo Card has been successfully loaded with Rs.1250", "credit"),
    ],
)
def test_direction_forms(text: str, direction: str) -> None:
    flat = canonical(normalise(text))
    found = {b.direction for b in bindings(flat, find_amounts(flat)) if b.role == "amount"}
    assert found == {direction}


@pytest.mark.parametrize(
    "text",
    [
        "RTGS Money Deposited~INR 3,00,000.00~To Nithin K~Txn No: HDFCR5202504156073",  # deposited to someone else
        "Rs.305.35 has been received.",  # by whom, from whom?
        "Bharath Clinic has received INR 24728 towards your claim from an insurer",
    ],
)
def test_no_direction_is_guessed(text: str) -> None:
    flat = canonical(normalise(text))
    assert [b for b in bindings(flat, find_amounts(flat)) if b.role == "amount"] == []


@pytest.mark.parametrize(
    ("mask", "last4"),
    [
        ("XX2536", "2536"),
        ("XXX810", "810"),
        ("XXXXXXXX00007271", "7271"),
        ("074-260***-006", "0006"),
        ("300***123456", "3456"),
        ("XXXXX71xx", "71xx"),
        ("** 11004", "1004"),
        ("XXxxxxy", None),
    ],
)
def test_last_digits_of_a_mask(mask: str, last4: str | None) -> None:
    assert last_digits(mask) == last4


@pytest.mark.parametrize(
    ("text", "direction", "last4"),
    [
        ("Money Sent-INR 15,000.00 From HDFC Bank A/c XX5733 on 28-10-23 To A/c xxxx9709", "debit", "5733"),
        ("Rs.10000 credited to A/c XX5678 via transfer from A/c XX1234", "credit", "5678"),
        ("Paid Rs.500 to ABC from XXXX1234", "debit", "1234"),
        ("EMI of Rs.25000 for Home Loan A/c 1234567890 debited from A/c XX1234", "debit", "1234"),
        ("INR 209.00 debited from A/c no. XXxxxxy on SHOP. Not you? SMS BLOCKCARD XX0023", "debit", None),
        ("HSBC: A/c 074-260***-006 is credited as NEFT from CHAS A/c ***6983 of John Doe", "credit", "0006"),
        ("Credited to XXXX6785 by Sender ACME, Sender A/c XXXX9108", "credit", "6785"),
        ("user204@yescred linked to Credit Card XX4062 is Dr with INR.26.00", "debit", "4062"),
        ("credited to PRAN XX1084", "credit", None),
    ],
)
def test_the_holders_account_not_the_other_sides(text: str, direction: str, last4: str | None) -> None:
    found = holder_account(text, direction)  # type: ignore[arg-type]
    assert (found.last4 if found else None) == last4


def test_mentions_keep_their_order_and_form() -> None:
    found = mentions("from A/c XX1234 to XXXX5678")
    assert [(m.last4, m.form) for m in found] == [("1234", "word"), ("5678", "bare")]


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("UPI transaction reference no.: 900000000001.", "900000000001"),
        ("(UPI Ref No 435221138842).", "435221138842"),
        ("UPI Ref. no. 310902003574-ICICI Bank.", "310902003574"),
        ("RRN :412356789012.", "412356789012"),
        ("with UTR SBIN525080708724 dt", "SBIN525080708724"),
        ("Your Unique Transaction Reference Number (UTR) is: INDBH0000000001234", "INDBH0000000001234"),
        ("IMPS Ref-330120320348", "330120320348"),
        ("UPI:552200221100. Call", "552200221100"),
        ("IMPS:ABCDEF123456.", "ABCDEF123456"),
        ("at UPI-638903921672-CORN.", "638903921672"),
        ("UPI/DR/651122781360/UK FOOD/UTIB", "651122781360"),
        ("Info: IMPS/FDRL/528005821348/EPIFI", "528005821348"),
        ("NEFT Cr-CITI0100000-ACME-PERSON-CITIN99999999999.Avl", "CITIN99999999999"),
        ("Txn No HDFCN520253454560344 for", "HDFCN520253454560344"),
        ("Transaction ID 1321773 Bank reference Number 668354820776", "668354820776"),
        ("for reversal of UPI transaction ABC-123.", "ABC-123"),
        ("Balance: Rs.40000.00. [S76543210]", "S76543210"),
    ],
)
def test_reference_forms(text: str, reference: str) -> None:
    assert find_reference(text) == reference


@pytest.mark.parametrize(
    "text",
    [
        "UMRN: HDFC0000000012345678",
        "via e-mandate ID: NX789XYZABC",
        "transaction number 1234 for Rs.383.00",
        "Ref No./XUTR/IN22XX...XX24 By ACME",
        "Mandate Ref No- abc123def456@fifederal",
    ],
)
def test_what_is_not_a_transaction_reference(text: str) -> None:
    assert find_reference(text) is None


@pytest.mark.parametrize(
    ("text", "direction", "party", "vpa"),
    [
        ("debited towards VPA shop@ybl (CORNER SHOP) on 02-06-26", "debit", "CORNER SHOP", "shop@ybl"),
        ("debited for Rs 240.00 on 28-Jul-25; DAKSHIN CAFE credited.", "debit", "DAKSHIN CAFE", None),
        ("spent on Card 9922 At ..MC DONALDS_ on 2025-06-22", "debit", "MC DONALDS", None),
        ("credited on 26-Jun-25 from GANGA MANGA. UPI:55778", "credit", "GANGA MANGA", None),
        ("Sender: ASHA VERMA (VPA: asha@okaxis) c. UPI", "credit", "ASHA VERMA", "asha@okaxis"),
        ("Rs 150.00 debited via UPI to VPA john@okbank.Ref No 98765", "debit", "john@okbank", "john@okbank"),
    ],
)
def test_counterparty_forms(text: str, direction: str, party: str, vpa: str | None) -> None:
    assert find_party(text, direction) == (party, vpa)  # type: ignore[arg-type]


def test_dates_and_times_as_the_banks_write_them() -> None:
    sent = datetime(2026, 6, 3, 9, 30, tzinfo=IST)
    when, note = transaction_time("Rs.388.19 spent on 2025-06-22:08:01:24.", 0, sent)
    assert when == datetime(2025, 6, 22, 8, 1, 24, tzinfo=IST) and note is None
    when, _ = transaction_time("Paid: INR 100 on 13-MAY-25 01:05 PM.", 0, sent)
    assert when == datetime(2025, 5, 13, 13, 5, tzinfo=IST)
    when, note = transaction_time("Spent on 3/18/26, 6:39 PM", 0, sent)  # month first: not read
    assert when == sent and note is None
    when, note = transaction_time("Sent on 23/09/26", 0, sent)
    assert when == sent and "after the alert was sent" in (note or "")


def test_the_text_is_folded_before_it_is_read() -> None:
    styled = "Rs.90.00 𝗌𝗉𝖾𝗇𝗍 𝗈𝗇 𝗒𝗈𝗎𝗋 𝖲𝖡𝖨 𝖢𝗋𝖾𝖽𝗂𝗍 𝖢𝖺𝗋𝖽"
    assert normalise(styled) == "Rs.90.00 spent on your SBI Credit Card"
    assert normalise("a\u200bb\n\n c – d") == "a b c - d"
    assert canonical("Credited with 15000INR on") == "Credited with INR 15000 on"
