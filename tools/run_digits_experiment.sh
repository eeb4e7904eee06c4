#!/usr/bin/env bash
# Set up the environment (tools/setup_env.sh, which also installs the digits
# extra, scikit-learn, with the test requirements), then run the real-image
# experiment: baseline vs FRSKD vs FRSKD+gate (segmentation), baseline vs
# FRSKD vs SFD (classification), 3 seeds each (tools/digits_experiment.py;
# arguments are passed on, e.g. --tasks seg --regime scratch pretrained
# --ablation-regime pretrained for the FRSKD regimes table).
#   bash tools/run_digits_experiment.sh            # ~1.2 h on 2 CPU cores
#   bash tools/run_digits_experiment.sh --quick    # smoke run, ~6 min
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
"$PY" -c "import sklearn" 2>/dev/null || "$PY" -m pip install --quiet -r requirements/digits.txt
exec "$PY" tools/digits_experiment.py "$@"
