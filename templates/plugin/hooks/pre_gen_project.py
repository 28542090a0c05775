"""Refuse a plugin name that cannot become both a distribution name and a Python package."""

import re
import sys

NAME = {{ cookiecutter.plugin_name | tojson }}

if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", NAME):
    sys.exit(
        f"plugin_name {NAME!r}: use lower-case letters and digits, optionally joined by single "
        "hyphens, starting with a letter (e.g. myshop or my-bank)"
    )
