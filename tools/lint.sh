#!/usr/bin/env bash
# The style checks of .pre-commit-config.yaml, in check mode (CI runs this):
# flake8, isort, yapf, codespell and the commit subjects.
#   bash tools/lint.sh          (installs requirements/lint.txt into the venv)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
"$PY" -m pip install -q -r requirements/lint.txt
PATHS=(selfkd_seg selfkd_research tools tests configs demo setup.py)
"$PY" -m flake8 "${PATHS[@]}"
"$PY" -m isort --check-only --diff "${PATHS[@]}"
"$PY" -m yapf --diff --recursive "${PATHS[@]}"
"$(dirname "$PY")/codespell" selfkd_seg selfkd_research tools tests configs docs \
    demo README.md setup.py
"$PY" tools/check_commit_subjects.py
echo "lint: flake8, isort, yapf, codespell and commit subjects pass"
