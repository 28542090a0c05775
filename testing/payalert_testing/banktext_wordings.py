"""Alert wordings of many issuers, written for payalert's tests in the forms each bank's alerts take.

None of these texts is a corpus text: payalert-banktext's template tests check that the grammar reads
the forms they name, across issuers, SMS and mail alike, and its benchmark times reading them when
the shared corpus is absent.
"""

from __future__ import annotations

#: (sender, text, (amount, direction, account_last4, reference)).
PAYMENTS = [
    (
        "VM-HDFCBK",
        "UPDATE: INR 5,000.00 debited from HDFC Bank XX1234 on 01-JAN-25. Info: UPI-123456789012-ABC STORES. Avl bal:INR 10,000.00",
        ("5000.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-HDFCBK",
        "Rs.500.00 debited from a/c **1234 on 01-01-25 to VPA abc@okaxis(UPI Ref No 123456789012). Not you? Call on 18002586161 to report",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-HDFCBK",
        "Credit Alert!\nRs.500.00 credited to HDFC Bank A/c XX1234 on 01-01-25 from VPA abc@okicici (UPI 123456789012)",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "AX-ICICIT-S",
        "ICICI Bank Acct XX123 debited for Rs 500.00 on 01-Jan-25; ABC STORES credited. UPI:123456789012. Call 18002662 for dispute. SMS BLOCK 123 to 9215676766.",
        ("500.00", "debit", "123", "123456789012"),
    ),
    (
        "AX-ICICIT-S",
        "Dear Customer, Acct XX123 is credited with Rs 500.00 on 01-Jan-25 from ABC. UPI:123456789012-ICICI Bank.",
        ("500.00", "credit", "123", "123456789012"),
    ),
    (
        "VM-ICICIB",
        "INR 1,000.00 spent on ICICI Bank Card XX1234 on 01-Jan-25 at AMAZON. Avl Lmt: INR 50,000.00. To dispute, call 18002662/SMS BLOCK 1234 to 9215676766",
        ("1000.00", "debit", "1234", None),
    ),
    (
        "BZ-SBIUPI",
        "Dear UPI user A/C X1234 debited by 500.0 on date 01Jan25 trf to ABC Refno 123456789012. If not u? call 1800111109. -SBI",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "CP-SBIUPI",
        "Dear SBI User, your A/c X1234-credited by Rs.500 on 01Jan25 transfer from ABC Ref No 123456789012 -SBI",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-CBSSBI",
        "Your A/C XXXXX123456 Debited INR 500.00 on 01/01/25 -Transferred to ABC. Avl Balance INR 1,000.00-SBI",
        ("500.00", "debit", "3456", None),
    ),
    (
        "VM-SBICRD",
        "Rs.500.00 spent on your SBI Credit Card ending 1234 at AMAZON on 01/01/25. Trxn. not done by you? Report at https://sbicard.com/Dispute",
        ("500.00", "debit", "1234", None),
    ),
    (
        "JD-AXISBK-S",
        "INR 500.00 debited\nA/c no. XX1234\n01-01-25, 10:00:00\nUPI/P2M/123456789012/ABC STORES\nNot you? SMS BLOCKUPI Cust ID to 919951860002\nAxis Bank",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "JD-AXISBK-S",
        "INR 500.00 credited\nA/c no. XX1234\n01-01-25, 10:00:00 IST\nUPI/P2A/123456789012/ABC\nNot you? SMS BLOCK to 919951860002\nAxis Bank",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "JD-KOTAKB-S",
        "Sent Rs.500.00 from Kotak Bank AC X1234 to abc@okaxis on 01-01-25.UPI Ref 123456789012. Not you, https://kotak.com/KBANKT/Fraud",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "JD-KOTAKB-S",
        "Received Rs.500.00 in your Kotak Bank AC X1234 from abc@okaxis on 01-01-25.UPI Ref:123456789012.",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "BM-IDFCFB-S",
        "Your A/C XXXXXXX1234 is debited by INR 500.00 on 01/01/25 10:00. New Bal :INR 1000.00",
        ("500.00", "debit", "1234", None),
    ),
    (
        "CP-YESBNK-S",
        "INR 500.00 debited from A/c XX1234 on 01-01-2025 via UPI. UPI Ref No: 123456789012. Avl Bal: INR 1,000.00 - YES BANK",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-PNBSMS",
        "A/c XX1234 debited INR 500.00 Dt 01-01-25 thru UPI:123456789012.Bal INR 1000.00 Not u?Fwd this SMS to 9264092640 to block UPI.Download PNB ONE-PNB",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-BOBTXN",
        "Rs.500 debited from A/C XXXXXX1234 and credited to abc@ybl UPI Ref:123456789012. Not you? Call 18005700 -BOB",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-CANBNK",
        "Rs.500.00 paid thru A/C XX1234 on 01-01-25 10:00:00 to ABC, UPI Ref 123456789012. If not done, SMS BLOCK to 9901771222.-Canara Bank",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-UNIONB",
        "A/c *1234 Debited for Rs:500.00 on 01-01-2025 10:00:00 by Mob Bk ref no 123456789012 Avl Bal Rs:1000.00.If not you, Call 1800222243 -Union Bank of India",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-INDUSB",
        "IndusInd Bank: A/C *XX1234 debited by Rs 500.00 towards abc@ybl. RRN:123456789012. Avl Bal:1000.00. Not You? call 18602677777",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "AD-FEDBNK",
        "Rs 500.00 debited via UPI on 01-01-2025 10:00:00 to VPA abc@okaxis.Ref No 123456789012.Small txns?Use UPI Lite!-Federal Bank",
        ("500.00", "debit", None, "123456789012"),
    ),
    (
        "VM-AUBANK",
        "Debited INR 500.00 from A/c X1234 on 01-JAN-2025 UPI/DR/123456789012/ABC/YESB Bal INR 1,000.00 -AU Bank",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-RBLBNK",
        "Your RBL Bank A/c XX1234 has been debited with INR 500.00 on 01-01-25. Avl Bal: INR 1000.00",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-CITIBK",
        "Rs.500.00 was spent on your Citibank credit card ending 1234 at AMAZON on 01-JAN-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "AM-AMEXIN",
        "Alert: You've spent INR 500.00 on your AMEX card ** 12345 at AMAZON on 1 January 2025 at 10:00 AM IST.",
        ("500.00", "debit", "2345", None),
    ),
    (
        "VM-PHONPE",
        "Paid Rs.500 to ABC from XXXX1234 (UPI Ref No. 123456789012)",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-IPAYTM",
        "Rs.500 sent to ABC from Paytm Payments Bank a/c 91XX1234. UPI Ref: 123456789012",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-HSBCIN",
        "HSBC: INR 500.00 is debited from your A/c XXX-XXXX12-345 on 01JAN25 for UPI txn. UPI Ref 123456789012",
        ("500.00", "debit", "2345", "123456789012"),
    ),
    (
        "VM-SCBANK",
        "Your a/c XX1234 is debited for Rs. 500.00 on 01-01-2025 10:00 and credited to a/c XX5678 (UPI Ref no 123456789012).",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-IDBIBK",
        "Your IDBI Bank A/c XX1234 is debited for Rs 500.00 on 01/01/2025. UPI Ref 123456789012. Avl Bal Rs 1000.00",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-INDBNK",
        "Rs.500.00 debited from a/c *1234 on 01/01/2025 to a/c linked to VPA abc@ybl (UPI Ref no 123456789012).Indian Bank",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-CENTBK",
        "Your A/c XX1234 is debited for Rs.500.00 on 01-01-2025 by UPI Ref 123456789012. Avl Bal Rs.1000.00 -Central Bank of India",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-BOIIND",
        "BOI - Rs.500.00 debited A/cXX1234 and credited to ABC via UPI Ref No 123456789012 on 01Jan25.",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "",
        "Your OneCard ending XX1234 was used for Rs. 500.00 at AMAZON on 01/01/2025.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Rs.2,000.00 credited to HDFC Bank A/c XX1234 on 01-01-25 as refund from AMAZON (UPI Ref No 123456789012).",
        ("2000.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-ICICIB",
        "ICICI Bank Credit Card XX1234: Rs 1,500.00 reversed on 01-Jan-25 by AMAZON.",
        ("1500.00", "credit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "IMPS INR 500.00 received in HDFC Bank A/c XX1234 on 01-01-25 from ABC. IMPS Ref No 123456789012.",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-KOTAKB",
        "Rs.25,000.00 is credited to your Kotak Bank a/c XX1234 on 01-Jan-25 by NEFT from ACME LTD. UTR: CITIN25000000001",
        ("25000.00", "credit", "1234", "CITIN25000000001"),
    ),
    (
        "VM-SBIINB",
        "Rs. 1,50,000.00 withdrawn from ATM at MG ROAD from A/c XX1234 on 01Jan25. Avl Bal Rs. 5,000.00",
        ("150000.00", "debit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Thank you for using your HDFC Bank Debit Card ending 1234 for USD 12.00 at NETFLIX.COM on 01-01-2025 10:00:00.",
        ("12.00", "debit", "1234", None),
    ),
    (
        "VM-SBIINB",
        "Your a/c no. XX1234 is credited by Rs.500.00 on 01-01-25 by a/c linked to VPA abc@ybl (UPI Ref no 123456789012).",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-ICICIB",
        "Dear Customer, your ICICI Bank Account XX123 has been credited with INR 500.00 on 01-Jan-25. Info:UPI/123456789012/ABC. The Available Balance is INR 1,000.00.",
        ("500.00", "credit", "123", "123456789012"),
    ),
    (
        "VM-BOBSMS",
        "Dear BOB UPI User: Your account is debited with INR 500.00 on 2025-01-01 10:00:00 AM by UPI Ref No 123456789012; AvlBal: Rs1000.00 - BOB",
        ("500.00", "debit", None, "123456789012"),
    ),
    (
        "VM-CANBNK",
        "Your a/c XXX123 has been credited with INR 500.00 on 01/01/2025 by UPI ref no 123456789012 from abc@ybl.-Canara Bank",
        ("500.00", "credit", "123", "123456789012"),
    ),
    (
        "VM-IDFCFB",
        "Your A/c XX1234 credited by Rs. 500.00 on 01/01/25; ABC debited. RRN 123456789012. Available balance Rs. 1,000.00. Team IDFC FIRST Bank",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "",
        "Rs 500.00 debited from your Airtel Payments Bank a/c. Txn ID: 123456789012. Bal: Rs 1000.00",
        ("500.00", "debit", None, "123456789012"),
    ),
    (
        "VM-IPAYTM",
        "Rs.500.00 paid to ABC from Paytm UPI. UPI Ref: 123456789012",
        ("500.00", "debit", None, "123456789012"),
    ),
    (
        "com.google.android.apps.nbu.paisa.user",
        "You paid ₹500.00 to ABC. UPI transaction ID: 123456789012",
        ("500.00", "debit", None, "123456789012"),
    ),
    (
        "VM-PHONPE",
        "Received Rs.500 from ABC in your a/c XX1234 via PhonePe. UPI Ref: 123456789012",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-HDFCBK",
        "Payment of Rs.5,000.00 has been received on your HDFC Bank Credit Card XX1234 on 01-01-25. Thank you.",
        ("5000.00", "credit", "1234", None),
    ),
    (
        "AD-FEDBNK",
        "Rs.500.00 credited to your A/c XX1234 via UPI from abc@okaxis on 01-01-2025 10:00:00. UPI Ref No 123456789012 -Federal Bank",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-SCBANK",
        "Your Standard Chartered Debit Card ending 1234 was used for INR 500.00 at AMAZON on 01-Jan-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Your A/c XX1234 is debited with Rs.5,000.00 for Cheque No 000123 on 01-01-25.",
        ("5000.00", "debit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Your A/c XX1234 is credited with INR 50,000.00 on 01-01-25 by NEFT from ACME PVT LTD. UTR No. HDFCN52025010112345.",
        ("50000.00", "credit", "1234", "HDFCN52025010112345"),
    ),
    (
        "VM-HDFCBK",
        "Interest of Rs.125.00 has been credited to your A/c XX1234 on 31-03-25.",
        ("125.00", "credit", "1234", None),
    ),
    (
        "VM-ICICIB",
        "Refund of INR 500.00 from AMAZON has been credited to your ICICI Bank Credit Card XX1234 on 01-Jan-25.",
        ("500.00", "credit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Your HDFC Bank Credit Card XX1234 was charged INR 500.00 at AMAZON on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Rs.50 paid from UPI Lite wallet to ABC. UPI Ref 123456789012",
        ("50.00", "debit", None, "123456789012"),
    ),
    (
        "VM-HDFCBK",
        "Rs.199.00 debited from your A/c XX1234 towards NETFLIX for UPI AutoPay (mandate). UPI Ref 123456789012",
        ("199.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-HDFCBK",
        "Received Rs.100.00 in your HDFC Bank A/C *1234 from abc@okaxis on 01/01/25 Ref 123456789012",
        ("100.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-KOTAKB",
        "Rs.500.00 spent via Kotak Debit Card XX1234 at AMAZON on 01/01/2025. Avl bal Rs.1000.00",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-AXISBK",
        "INR 500.00 spent using Axis Bank Card no. XX1234 on 01-01-25 at AMAZON. Avl Limit: INR 10,000",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-PNBSMS",
        "Your a/c XX1234 is debited for Rs 500 on 01-01-25 through UPI. Ref 123456789012",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-PAYTMB",
        "Rs 500 debited from Paytm Payments Bank a/c 91XX1234 to ABC via UPI. UPI Ref: 123456789012",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-CITIBK",
        "Your Citibank Credit Card xx1234 has been used for INR 500.00 at AMAZON on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-SCBANK",
        "Thank you for using your Standard Chartered Credit Card ending 1234 for INR 500.00 at AMAZON on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-RBLBNK",
        "Dear Customer, INR 500.00 has been debited from your RBL Bank credit card XX1234 at AMAZON on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-IDFCFB",
        "Your IDFC FIRST Bank Credit Card ending XX1234 was used for INR 500.00 at AMAZON on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "",
        "Rs 500.00 spent on your OneCard Credit Card XX1234 at AMAZON on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    ("", "Rs.500 spent at AMAZON using slice card ending 1234.", ("500.00", "debit", "1234", None)),
    (
        "",
        "Rs.500 debited from your Jupiter account XX1234 to ABC via UPI on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-PHONPE",
        "You've paid Rs.500 to ABC from your HDFC Bank A/c XX1234. UPI Ref: 123456789012",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    ("com.google.android.apps.nbu.paisa.user", "₹500 paid to ABC", ("500.00", "debit", None, None)),
    (
        "VM-BHIMUP",
        "Rs 500 sent to abc@upi from A/c XX1234 via BHIM. UPI Ref 123456789012",
        ("500.00", "debit", "1234", "123456789012"),
    ),
    (
        "VM-HDFCBK",
        "IMPS Credit of Rs.500.00 received in HDFC Bank A/c XX1234 from ABC. IMPS Ref No 123456789012",
        ("500.00", "credit", "1234", "123456789012"),
    ),
    (
        "VM-ICICIB",
        "Dear Customer, Acct XX123 is credited with Rs 50,000.00 on 01-Jan-25 from ACME LTD. NEFT Ref: N123456789",
        ("50000.00", "credit", "123", "N123456789"),
    ),
    (
        "VM-SBIINB",
        "Rs 500 debited from your A/c XX1234 for ATM withdrawal on 01-01-25.",
        ("500.00", "debit", "1234", None),
    ),
    (
        "VM-ICICIB",
        "USD 20.00 spent on ICICI Bank Card XX1234 at AWS on 01-Jan-25. Avl Limit: INR 50,000",
        ("20.00", "debit", "1234", None),
    ),
    (
        "VM-SBIINB",
        "Interest of Rs 123.45 credited to your Savings A/c XX1234 for the quarter.",
        ("123.45", "credit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "INR 50,000.00 credited to A/c XX1234 on 01-01-25 by ACME PVT LTD (NEFT). Avl Bal: INR 60,000.00",
        ("50000.00", "credit", "1234", None),
    ),
    (
        "VM-HDFCBK",
        "Your VPA abc@okhdfcbank received Rs.500 from xyz@ybl on 01-01-25. UPI Ref 123456789012",
        ("500.00", "credit", None, "123456789012"),
    ),
    (
        "VM-AMAZON",
        "Rs.500.00 has been added to your Amazon Pay balance on 01-01-26. Txn ID: 123456789012",
        ("500.00", "credit", None, "123456789012"),
    ),
    (
        "VM-BAJAJF",
        "Loan of Rs 50,000 disbursed to your A/c XX1234 on 01-01-26. Ref No 123456789012",
        ("50000.00", "credit", "1234", "123456789012"),
    ),
]

#: (sender, text, kind): messages that move no money, or not yet, and the kind each is. An amount
#: with no direction (the last) is no kind of its own: a transaction the grammar refuses to guess.
NOT_PAYMENTS = [
    ("VM-HDFCBK", "Your a/c XX1234 has a balance of Rs 1000.00 as on 01-01-25.", "balance"),
    ("VM-ICICIB", "Rs.500 will be debited from your a/c XX1234 on 05-01-25 towards NACH ACME.", "pending"),
    (
        "VM-SBICRD",
        "Dear customer, your transaction of Rs 500 at ABC has been declined due to insufficient balance.",
        "declined",
    ),
    (
        "VM-AXISBK",
        "Reminder: Your Axis Bank credit card bill of Rs 5,000.00 is due on 05-01-25. Pay now.",
        "reminder",
    ),
    ("VM-HDFCBK", "Get Rs 500 cashback on your first UPI transaction. T&C apply.", "promotion"),
    (
        "VM-PAYTMB",
        "You have received a payment request of Rs 500 from abc@ybl. Ignore if not initiated by you.",
        "collect_request",
    ),
    (
        "VM-ICICIB",
        "ABC has requested Rs.500 from you on Google Pay. On approval, money will be debited.",
        "collect_request",
    ),
    (
        "VM-PNBSMS",
        "Your UPI-Mandate for Rs.500.00 is successfully created towards NETFLIX from A/c XX1234.",
        "mandate",
    ),
    (
        "VM-HDFCBK",
        "123456 is your OTP to pay Rs.500.00 at AMAZON on HDFC Bank Card XX1234. Do not share.",
        "otp",
    ),
    (
        "VM-KOTAKB",
        "Your Kotak Credit Card statement for Jan-25 is ready. Total amount due Rs 5,000.00, minimum due Rs 250.00.",
        "statement",
    ),
    (
        "VM-SBIINB",
        "Dear Customer, Rs.500 failed to credit to your A/c XX1234. Amount will be refunded in 3 days.",
        "declined",
    ),
    (
        "VM-AXISBK",
        "Pre-debit notification: Rs 149.00 will be debited from your Axis Bank card XX1234 on 05-01-25 for NETFLIX.",
        "pending",
    ),
    ("VM-HDFCBK", "Dear Customer, your AutoPay mandate for Rs 199.00 towards SPOTIFY is revoked.", "mandate"),
    (
        "VM-HDFCBK",
        "Your A/c XX1234 will be debited for Rs.199 on 05-01-25 towards NETFLIX AutoPay. Maintain sufficient balance.",
        "pending",
    ),
    (
        "VM-AXISBK",
        "Dear Customer, Rs.500 debit on your card XX1234 at ABC is declined as it exceeds the limit.",
        "declined",
    ),
    (
        "VM-ICICIB",
        "Rs.500.00 is due on your ICICI Bank Credit Card XX1234 on 05-Jan-25. Please pay to avoid late fees.",
        "reminder",
    ),
    (
        "VM-HDFCBK",
        "Congratulations! You are eligible for a pre-approved loan of Rs 5,00,000. Apply now.",
        "promotion",
    ),
    ("VM-HDFCBK", "Your credit card limit has been increased to Rs 2,00,000.", "balance"),
    ("VM-SBIINB", "Your fixed deposit of Rs 1,00,000 has been renewed.", "transaction"),
    (
        "VM-ICICIB",
        "Your ICICI Bank Credit Card XX1234 transaction of Rs 5,000 at AMAZON has been converted to EMI.",
        "conversion",
    ),
    (
        "VM-AXISBK",
        "Your Axis Bank A/c XX1234 was debited for Rs 500 on 01-01-26 but the transaction was reversed. Amount credited back.",
        "transaction",
    ),
    (
        "VM-FLPKRT",
        "Refund of Rs 499 for your Flipkart order has been initiated to your card XX1234.",
        "pending",
    ),
    (
        "VM-HDFCBK",
        "Rs 5 lakh credited to your account in 10 minutes! Get an instant loan at 10.5% p.a. Click here",
        "promotion",
    ),
    ("VM-AMAZON", "Rs 500 added to cart. Complete your order now!", "other"),
    ("VM-SWIGGY", "Rs 250 paid successfully for your Swiggy order #12345. Thank you!", "receipt"),
    ("VM-ELECTR", "Bill payment of Rs 1,234 received for consumer no 123456. Thank you.", "receipt"),
    (
        "VM-SBIINB",
        "Your statement for Jan-26: Opening Bal Rs 1,000, Total Credit: Rs 5,000, Total Debit: Rs 4,000.",
        "transaction",
    ),
]
