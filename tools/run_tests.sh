#!/usr/bin/env bash
# Set up the environment (tools/setup_env.sh) and run the test suite.
#   bash tools/run_tests.sh [extra pytest args]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "${VENV:-$ROOT/.venv}/bin/python" -m pytest tests -q "$@"
