#!/usr/bin/env bash
# Set up .venv (idempotent) and run the test suite: what CI runs (.ci/run).
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m pytest tests/ -q "$@"
