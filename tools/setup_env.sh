#!/usr/bin/env bash
# Create ./.venv (Python 3.11) with the measured stack of requirements/*.txt
# and selfkd_seg installed in editable mode.  Idempotent: a second run only
# checks that the environment is still complete.
#   bash tools/setup_env.sh            # uses python3.11 or python3
#   PYTHON=/path/to/python3.11 VENV=.venv bash tools/setup_env.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-"$ROOT/.venv"}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

stamp_of() {
  cat "$ROOT"/requirements.txt "$ROOT"/requirements/*.txt "$ROOT"/setup.py | sha1sum | cut -d' ' -f1
}

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.selfkd_seg_stamp"
# the import hook (selfkd_seg_import_hook.pth, docs/entry_points.md) is what
# lets mmseg's/mmpretrain's own tools and mim run our configs
HOOK_CHECK="import sys; assert any(type(f).__name__ == 'CompatImportHook' for f in sys.meta_path), 'selfkd_seg import hook not installed'"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_of)" ] \
   && "$VENV/bin/python" -c "$HOOK_CHECK" >/dev/null 2>&1 \
   && "$VENV/bin/python" -c "import selfkd_seg, mmseg.models, mmpretrain.models" >/dev/null 2>&1; then
  echo "[setup] environment $VENV is up to date"
  exit 0
fi
echo "[setup] installing the pinned stack (torch 2.14.1, mmengine 0.10.7, mmcv-lite 2.1.0, mmseg 1.2.2, mmpretrain 1.2.0) ..."
"$VENV/bin/python" -m pip install --quiet -r "$ROOT/requirements.txt"
# openmim without its dependencies (requirements/mim.txt says why)
"$VENV/bin/python" -m pip install --quiet --no-deps -r "$ROOT/requirements/mim_nodeps.txt"
"$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$ROOT"
"$VENV/bin/python" -c "$HOOK_CHECK"
"$VENV/bin/python" -c "import selfkd_seg, mmseg.models, mmpretrain.models; print('[setup] selfkd_seg', selfkd_seg.__version__, 'imports with mmseg and mmpretrain')"
stamp_of > "$STAMP"
