#!/usr/bin/env bash
# Set up the environment (tools/setup_env.sh), then run the main job on the
# bundled toy data: toy baseline vs toy FRSKD (tools/toy_experiment.py).
#   bash tools/run_main_job.sh [toy_experiment.py args, e.g. --seeds 0 1 2]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "${VENV:-$ROOT/.venv}/bin/python" tools/toy_experiment.py "$@"
