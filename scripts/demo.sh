#!/usr/bin/env bash
# One command: set up, import the real IRA ads and the Meta report into a fresh SQLite
# database, and serve the library on http://127.0.0.1:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/paidfor demo "$@"
