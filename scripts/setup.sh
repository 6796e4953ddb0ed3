#!/usr/bin/env bash
# Creates .venv and installs paidfor into it (with the dev tools when given "dev"); with "dev",
# also .venv-clients, the test-only clients whose pins clash with ours (scripts/clients.txt).
# Needs only python3 (3.11+) and, on a bare Debian, apt-get for python3-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

py=${PYTHON:-python3}
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "paidfor needs Python 3.11 or newer as '$py' (set PYTHON=...)" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$py" -m venv .venv 2>/dev/null; then
    echo "installing python3-venv with apt-get" >&2
    rm -rf .venv
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    "$py" -m venv .venv
  fi
fi
# threatexchange's pdqhash and weighted-levenshtein come only as sources: they need g++.
if ! command -v g++ >/dev/null 2>&1; then
  echo "installing g++ with apt-get (to build pdqhash for PDQ image hashes)" >&2
  apt-get update -qq && apt-get install -y -qq g++ >/dev/null
fi
extra=""
[ "${1:-}" = "dev" ] && extra="[dev]"
stamp=".venv/.installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  touch "$stamp"
fi
# The editable install leaves paidfor's own modules to be compiled on first import; where
# PYTHONDONTWRITEBYTECODE is set they would be compiled again by every command (0.3-0.5 s of
# each one's start). Compiled here once, as pip does for the packages it installs; a module
# changed later is compiled again when it is imported (its .pyc then stale).
.venv/bin/python -m compileall -q -j 0 src/paidfor  # quiet but for a file it cannot compile
if [ "${1:-}" = "dev" ]; then
  if [ ! -x .venv-clients/bin/python ]; then
    "$py" -m venv .venv-clients
  fi
  if [ ! -f .venv-clients/.installed ] || [ scripts/clients.txt -nt .venv-clients/.installed ]; then
    .venv-clients/bin/python -m pip install -q --upgrade pip
    .venv-clients/bin/python -m pip install -q -r scripts/clients.txt
    touch .venv-clients/.installed
  fi
fi
