"""Remove the files the chosen kind does not use (run by cookiecutter inside the new project)."""

from pathlib import Path

KIND = "{{ cookiecutter.kind }}"
PACKAGE = Path("{{ cookiecutter.__package }}")

if KIND == "notifier":
    unused = [PACKAGE / "source.py", Path("tests/test_source.py")]
else:
    unused = [PACKAGE / "notifier.py", Path("tests/test_notifier.py")]
if KIND == "push":
    unused.append(Path("tests/conftest.py"))  # no stand-in service to start

for path in unused:
    path.unlink()
