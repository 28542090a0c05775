"""payalert-sms: Indian bank and UPI alert SMS, forwarded from the user's phone, as payalert payments.

SMS Gateway for Android (or any forwarder that signs its requests) posts each SMS to the daemon;
only SMS from an issuer's DLT header count, and payalert-banktext reads them.
"""
