#!/usr/bin/env bash
# One command: set up everything the tests need and run the whole suite (lint, types, tests).
# With CI=true an unreachable PostgreSQL or a missing chromium fails the run instead of
# skipping their tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
if ! bash scripts/postgres.sh; then
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL on 127.0.0.1:5432 cannot be reached and CI=true" >&2
    exit 1
  fi
  echo "warning: PostgreSQL unreachable; its tests will be skipped" >&2
fi
if ! bash scripts/chromium.sh; then
  if [ "${CI:-}" = "true" ]; then
    echo "chromium is missing and could not be installed, and CI=true" >&2
    exit 1
  fi
  echo "warning: chromium missing; the browser tests will be skipped" >&2
fi
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
# One test process a core, at most four (each holds PostgreSQL connections and servers of its
# own); PAIDFOR_TEST_WORKERS=0 runs them all in this one.
cores=$(nproc 2>/dev/null || echo 1)
.venv/bin/pytest -q -n "${PAIDFOR_TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}" "$@"
