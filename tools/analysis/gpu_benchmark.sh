#!/usr/bin/env bash
# The GPU measurements of docs/performance.md in one run: first the tests
# that need a GPU (pytest, skipped elsewhere), then one row per change
# (legacy ops -> fast ops -> bf16 -> channels_last -> torch.compile, fp16,
# d1, classification, SFD), the fixed-batch loss checks, and a table.
#
# 1. HERE (a machine with this repo's .venv), once:
#        bash tools/analysis/gpu_benchmark.sh --bundle
#    copies the pure-Python packages a bare GPU image lacks (mmengine,
#    mmcv-lite, mmsegmentation, mmpretrain, efficientnet_pytorch and their
#    small pure-Python dependencies) from .venv into .gpu_site/ (git-ignored
#    through .git/info/exclude), with a pycocotools stub (its compiled part
#    is for this Python only; COCO data is not used here).
# 2. THERE (the GPU machine; torch, numpy, opencv, scipy, rich, regex, yaml
#    come from its image), from the repo root, .gpu_site carried along:
#        bash tools/analysis/gpu_benchmark.sh [OUT_DIR]
#    OUT_DIR defaults to $OUT (the device tool's folder) or
#    work_dirs/gpu_benchmark. Writes table.md (the table for
#    docs/performance.md), env.txt and rows.tar.gz (every row's log and
#    JSON, from work_dirs/gpu_benchmark_rows); prints the table last.
#    Rows run in order of importance; no row starts after BUDGET_S seconds
#    (default 400), each is capped at ROW_TIMEOUT_S (default 300) and at
#    DEADLINE_S (default 540) minus 20 s from the start, so the table and
#    the archive are written before a 560 s device-call limit.
#    With the project's device tool:
#        run(command='bash tools/analysis/gpu_benchmark.sh',
#            carry=['.gpu_site'], timeout_s=560)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

if [[ "${1:-}" == "--bundle" ]]; then
    SITE=$(ls -d "${VENV:-$ROOT/.venv}"/lib/python3*/site-packages | head -1)
    DEST="$ROOT/.gpu_site"
    rm -rf "$DEST" && mkdir -p "$DEST"
    for pkg in addict efficientnet_pytorch ftfy importlib_metadata \
            lazy_importer mmcv mmengine mmpretrain mmseg modelindex \
            ordered_set platformdirs prettytable termcolor wcwidth yapf \
            yapf_third_party pytest _pytest pluggy iniconfig py.py; do
        [[ -e "$SITE/$pkg" ]] || { echo "missing $SITE/$pkg" >&2; exit 1; }
        cp -r "$SITE/$pkg" "$DEST/"
    done
    for dist in addict efficientnet_pytorch ftfy importlib_metadata \
            lazy_importer mmcv_lite mmengine mmpretrain mmsegmentation \
            modelindex ordered_set platformdirs prettytable termcolor \
            wcwidth yapf pytest pluggy iniconfig; do
        cp -r "$SITE"/${dist}-*.dist-info "$DEST/"
    done
    find "$DEST" -name __pycache__ -type d -prune -exec rm -rf {} +
    mkdir -p "$DEST/pycocotools"
    cat > "$DEST/pycocotools/__init__.py" <<'PY'
"""Stub for the GPU benchmark (the real pycocotools is compiled for the
Python that made .gpu_site): COCO-format data is not available here."""
PY
    cat > "$DEST/pycocotools/mask.py" <<'PY'
def _unavailable(*args, **kwargs):
    raise ImportError('pycocotools is a stub in .gpu_site (GPU benchmark); '
                      'install pycocotools for COCO-format data')


encode = decode = area = toBbox = frPyObjects = merge = iou = _unavailable
PY
    grep -qx '/.gpu_site/' .git/info/exclude 2>/dev/null || \
        echo '/.gpu_site/' >> .git/info/exclude
    du -sh "$DEST"
    exit 0
fi

OUT_DIR=${1:-${OUT:-$ROOT/work_dirs/gpu_benchmark}}
WORK=${WORK_DIR:-$ROOT/work_dirs/gpu_benchmark_rows}
mkdir -p "$OUT_DIR" "$WORK"
export PYTHONPATH="$ROOT/.gpu_site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
PY=${PYTHON:-python3}
BUDGET_S=${BUDGET_S:-400}
ROW_TIMEOUT_S=${ROW_TIMEOUT_S:-300}
DEADLINE_S=${DEADLINE_S:-540}
START=$SECONDS
{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm \
        --format=csv 2>&1 || true
    $PY -c 'import torch; print("torch", torch.__version__, "cuda",
torch.version.cuda, "cudnn", torch.backends.cudnn.version(),
torch.cuda.get_device_name() if torch.cuda.is_available() else "NO GPU")'
} 2>&1 | tee "$WORK/env.txt"

SEG="tools/analysis/benchmark_frskd_seg.py --device cuda --batch 16
     --size 512 512 --steps 10 --warmup 3 --skip-flops-table"
TOY="tools/train.py configs/frskd_seg/frskd_efficientdet-d0_240it_toy.py"
# The tests that skip without a GPU ("needs a GPU"): run first, their
# pytest summary goes into table.md (-rs names any skip: no CUDA there).
GPU_TESTS="-m pytest -q -rs -p no:cacheprovider
     tests/test_engine/test_speed_options.py::test_seg_benchmark_on_cuda_bf16_channels_last
     tests/test_engine/test_fast_path.py::test_cuda_bf16_channels_last_step_has_no_host_sync"
# name | command (in order of priority). Rows with a JSON report go into
# table.md; toy_* rows are short trainings whose mIoU is compared; the
# gpu_tests row is pytest.
ROWS=(
  "gpu_tests|$GPU_TESTS"
  "d0_legacy_fp32|$SEG --archs d0 --legacy-ops"
  "d0_fp32|$SEG --archs d0"
  "d0_bf16|$SEG --archs d0 --amp bf16"
  "d0_bf16_cl|$SEG --archs d0 --amp bf16 --channels-last --check-losses"
  "d0_bf16_cl_compile|$SEG --archs d0 --amp bf16 --channels-last --compile"
  "d0_fp32_cl|$SEG --archs d0 --channels-last"
  "d0_fp16_cl|$SEG --archs d0 --amp fp16 --channels-last --check-losses"
  "d1_fp32|$SEG --archs d1"
  "d1_bf16_cl|$SEG --archs d1 --amp bf16 --channels-last"
  "d0_census_bf16_cl|$SEG --archs d0 --amp bf16 --channels-last --steps 2
     --warmup 1 --dtype-census"
  "cls_wrn16_2_bf16_cl|tools/analysis/benchmark_frskd_cls.py --device cuda
     --batch 128 --steps 10 --warmup 3 --skip-table6 --amp bf16
     --channels-last"
  "sfd_bf16_cl|tools/analysis/benchmark_sfd.py --device cuda --batch 64
     --steps 10 --warmup 3 --amp bf16 --channels-last --skip-integrators
     --hook-reps 5"
  "d0_bf16_cl_compile_check|$SEG --archs d0 --batch 8 --amp bf16
     --channels-last --compile --steps 3 --warmup 2 --check-losses"
  "toy_fp32|$TOY"
  "toy_bf16_cl|$TOY --amp bf16 --channels-last"
  "toy_bf16_cl_compile|$TOY --amp bf16 --channels-last --compile"
)
write_outputs() {  # table.md, env.txt, rows.tar.gz ($OUT takes 8 files)
    local files=() name
    shopt -s nullglob
    files=("$WORK"/d0_*.json "$WORK"/d1_*.json "$WORK"/cls_*.json
           "$WORK"/sfd_*.json)
    shopt -u nullglob
    : > "$OUT_DIR/table.md"
    (( ${#files[@]} )) && $PY tools/analysis/benchmark_table.py \
        "${files[@]}" > "$OUT_DIR/table.md" 2> "$WORK/table.err"
    [[ -f "$WORK/gpu_tests.log" ]] && echo "gpu_tests: $(grep -E \
        'passed|failed|skipped|error' "$WORK/gpu_tests.log" | tail -1)" \
        >> "$OUT_DIR/table.md"
    for name in toy_fp32 toy_bf16_cl toy_bf16_cl_compile; do
        [[ -f "$WORK/$name.log" ]] && echo "$name: $(grep -o \
            'mIoU: [0-9.]*' "$WORK/$name.log" | tail -1)" \
            >> "$OUT_DIR/table.md"
    done
    cp "$WORK/env.txt" "$OUT_DIR/"
    tar czf "$OUT_DIR/rows.tar.gz" -C "$WORK" . 2>/dev/null
}

for row in "${ROWS[@]}"; do
    name=${row%%|*}
    cmd=${row#*|}
    if (( SECONDS - START > BUDGET_S )); then
        echo "skipped $name (budget ${BUDGET_S}s spent)" | \
            tee -a "$WORK/skipped.txt"
        continue
    fi
    echo "== $name ($((SECONDS - START)) s)"
    if [[ $name == toy_* ]]; then
        if [[ ! -d data/toy_voc ]]; then
            $PY tools/dataset_converters/make_toy_voc.py data/toy_voc \
                > "$WORK/make_toy_voc.log" 2>&1
        fi
        cmd="$cmd --work-dir $WORK/$name"
    elif [[ $name != gpu_tests ]]; then
        cmd="$cmd --json $WORK/$name.json"
    fi
    limit=$(( DEADLINE_S - 20 - (SECONDS - START) ))
    (( limit < ROW_TIMEOUT_S )) || limit=$ROW_TIMEOUT_S
    # shellcheck disable=SC2086
    timeout "$limit" $PY $cmd > "$WORK/$name.log" 2>&1
    rc=$?
    (( rc == 0 )) || echo "   $name failed (exit $rc): $(tail -n 3 \
        "$WORK/$name.log" | tr '\n' ' ')"
    write_outputs
done
echo "total $((SECONDS - START)) s"
cat "$OUT_DIR/table.md"
