"""The read-only status page at ``/status/``: sources, notifiers, payments and totals for a person.

``settings`` is its config section, ``passwords`` its password hash, ``access`` who may open it,
``queries`` what it reads from the store, ``view`` how that is laid out, ``chart`` the SVG chart and
``routes`` the aiohttp handlers.
"""
