#!/usr/bin/env bash
# Set everything up and run the whole test suite (lint included).
# The tests run in one worker process per CPU, at most 4 (pytest-xdist; a test file stays
# on one worker): RADIOMIX_TEST_WORKERS=N sets the number, 0 runs them in this process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
workers="${RADIOMIX_TEST_WORKERS:-$(.venv/bin/python -c 'import os; print(min(len(os.sched_getaffinity(0)), 4))')}"
if [ "$workers" -gt 1 ]; then
    .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
else
    .venv/bin/python -m pytest "$@"
fi
