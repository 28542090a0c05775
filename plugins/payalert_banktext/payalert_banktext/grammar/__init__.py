"""A grammar of Indian bank, card, wallet and UPI alert texts, built from parts.

Each part names the forms it reads and is used by the reader, never by one bank's template:

- :mod:`.text`: the text as the parts see it (compatibility characters folded, one line);
- :mod:`.amounts`: ``Rs``/``Rs.``/``INR``/``₹`` or an ISO code, lakh or western grouping;
- :mod:`.directions` and :mod:`.verbs`: the phrases that say money left or reached the holder;
- :mod:`.accounts`: the holder's masked account, card or wallet, never the other side's;
- :mod:`.references`: UPI Ref, Ref No, RRN, UTR, IMPS/NEFT refs, Txn IDs, narrations;
- :mod:`.parties`: the counterparty and VPA;
- :mod:`.dates`: dates and times as the banks write them.
"""
