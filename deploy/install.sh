#!/bin/sh
# Build and install payalert from this repository's source; the Dockerfile runs exactly this.
#
#   install.sh wheels SRC_DIR WHEEL_DIR
#       Wheels of payalert-core with the extras named in $EXTRAS (e.g. "postgres", for a store
#       several nodes share), of the plugins named in $PLUGINS (e.g. "github imap", each one a
#       folder SRC_DIR/plugins/payalert_<name>) and of every dependency, into WHEEL_DIR, plus
#       WHEEL_DIR/payalert-requirements.txt naming what to install.
#   install.sh venv WHEEL_DIR VENV_DIR
#       A new virtualenv at VENV_DIR holding exactly those, installed from WHEEL_DIR alone (no
#       index); fails when a plugin cannot be loaded.
#
# $PYTHON is the interpreter to use (default: python3).
set -eu

usage() {
    echo "usage: install.sh wheels SRC_DIR WHEEL_DIR | install.sh venv WHEEL_DIR VENV_DIR" >&2
    exit 2
}

fail() {
    echo "install.sh: $*" >&2
    exit 2
}

available_plugins() {
    for dir in "$1"/plugins/payalert_*/; do
        [ -f "${dir}pyproject.toml" ] || continue
        name=${dir%/}
        printf '%s ' "${name##*/payalert_}"
    done
}

available_extras() {
    # The [project.optional-dependencies] of payalert-core, but "test".
    sed -n '/^\[project.optional-dependencies\]/,/^\[/s/^\([a-z0-9_-]*\) = \[.*/\1/p' "$1/pyproject.toml" |
        grep -vx test | tr '\n' ' '
}

[ $# -eq 3 ] || usage
python=${PYTHON:-python3}
requirements=payalert-requirements.txt

case $1 in
wheels)
    src=$2
    out=$3
    case $src in
    /* | ./* | ../*) ;;
    *) src=./$src ;; # a bare word would be taken for a package name on the index
    esac
    case $src in
    *[[:space:]]*) fail "SRC_DIR must not contain white space: '$src'" ;;
    esac
    [ -f "$src/pyproject.toml" ] || fail "$src is not the payalert source tree (no pyproject.toml)"
    extras=
    for extra in ${EXTRAS:-}; do
        case " $(available_extras "$src")" in
        *" $extra "*) extras=${extras:+$extras,}$extra ;;
        *) fail "EXTRAS: payalert-core has no extra '$extra'; use some of: $(available_extras "$src")" ;;
        esac
    done
    projects=$src${extras:+[$extras]}
    names=payalert-core${extras:+[$extras]}
    for plugin in ${PLUGINS:-}; do
        case $plugin in
        *[!a-z0-9_]*) fail "PLUGINS: '$plugin' is not a plugin name; use some of: $(available_plugins "$src")" ;;
        esac
        [ -f "$src/plugins/payalert_$plugin/pyproject.toml" ] ||
            fail "PLUGINS: no plugin '$plugin' in $src/plugins; use some of: $(available_plugins "$src")"
        projects="$projects $src/plugins/payalert_$plugin"
        names="$names payalert-$plugin"
    done
    mkdir -p "$out"
    # Every distribution in this tree first, on its own: a chosen plugin may need one that is
    # on no index (payalert-imap needs payalert-banktext), which pip then finds in $out.
    for local in "$src" "$src"/plugins/payalert_*/; do
        [ -f "$local/pyproject.toml" ] || continue
        "$python" -m pip wheel --quiet --no-deps --wheel-dir "$out" "$local"
    done
    # $src has no white space and plugin names are [a-z0-9_], so splitting $projects is safe;
    # globbing is off, for the brackets of the extras.
    set -f
    # shellcheck disable=SC2086
    "$python" -m pip wheel --find-links "$out" --wheel-dir "$out" $projects
    # shellcheck disable=SC2086 # one name a line
    printf '%s\n' $names >"$out/$requirements"
    echo "install.sh: wheels for $names are in $out"
    ;;
venv)
    wheels=$2
    venv=$3
    [ -f "$wheels/$requirements" ] || fail "$wheels has no $requirements; run 'install.sh wheels' first"
    # The venv gets no pip of its own: this interpreter's pip installs into it (pip >= 22.3).
    "$python" -m venv --without-pip "$venv"
    "$python" -m pip --python "$venv/bin/python" install --no-index --no-cache-dir \
        --find-links "$wheels" --requirement "$wheels/$requirements"
    # One run of `payalert plugins`: what got installed, and a failure if any plugin cannot load.
    "$venv/bin/payalert" plugins --json | "$venv/bin/python" -c '
import json, sys
found = json.load(sys.stdin)
packages = sorted({(p["package"], p["version"]) for p in found["plugins"]})
print("install.sh: installed " + ", ".join(name + " " + version for name, version in packages))
print("install.sh: sources " + ", ".join(found["sources"]) + "; notifiers " + ", ".join(found["notifiers"]))
if found["errors"]:
    sys.exit("install.sh: plugins failed to load: " + json.dumps(found["errors"]))'
    ;;
*)
    usage
    ;;
esac
