#!/usr/bin/env bash
# One prepared GPU check of the MLP trainer, for a lent H100/H200 (run from the repository root):
#   bash bench/gpu_check.sh            # results go to $OUT (or bench/out/gpu if OUT is unset)
#   FUSED_ONLY=1 bash bench/gpu_check.sh   # the self-check and the fused Triton trainer (bench/gpu_fused.py, <= 330 s)
#   SELFCHECK_ONLY=1 bash bench/gpu_check.sh   # only the engines' self-check (bench/gpu_selfcheck.py, <= 60 s)
# Needs python3 with torch (CUDA build) numpy and pandas (the stand-in generator); scikit-learn is optional. Uses .venv/bin/python
# when it exists and can see CUDA, else python3. Total time budget: under 11 minutes (self-check
# <= 60 s, fused part <= 270 s, the rest <= 275 s): where one command may run 10 minutes, run
# FUSED_ONLY=1 first and the rest in a second call.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/out/gpu}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1

PY=python3
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    PY=.venv/bin/python
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
echo "== environment ($(date -u +%FT%TZ))"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" - <<'PY'
import sys
print("python", sys.version.split()[0])
for mod in ("numpy", "pandas", "torch", "triton", "sklearn"):
    try:
        m = __import__(mod)
        print(mod, m.__version__)
    except ImportError:
        print(mod, "MISSING")
import torch
print("cuda available:", torch.cuda.is_available(), "torch CUDA", torch.version.cuda)
PY
"$PY" -c 'import numpy, pandas, torch' || { echo "gpu_check: numpy/pandas/torch missing; carry a venv"; exit 2; }

echo "== S. the engines' run-time self-check against eager on this GPU (what every training job runs first)"
timeout 60 "$PY" bench/gpu_selfcheck.py --out "$OUT"
rc_self=$?
if [ "${SELFCHECK_ONLY:-0}" = 1 ]; then
    echo "== done (SELFCHECK_ONLY): self-check rc=$rc_self; files in $OUT"
    exit "$rc_self"
fi

echo "== 0. the fused Triton trainer: correctness vs eager, launch configurations, 256 and 1,024 models x 20 epochs"
timeout 270 "$PY" bench/gpu_fused.py --out "$OUT" --rows 1000000 --epochs 20 --budget 45
rc_fused=$?
if [ "${FUSED_ONLY:-0}" = 1 ]; then
    echo "== done (FUSED_ONLY): self-check rc=$rc_self, fused rc=$rc_fused; files in $OUT"
    ls -l "$OUT"
    exit "$rc_fused"
fi

echo "== 1+2. correctness on CUDA and the full-size grid (256 models x 20 epochs, 1,000,000 rows)"
timeout 200 "$PY" bench/gpu_check.py --out "$OUT" --rows 1000000 --models 256 --epochs 20
rc_grid=$?

echo "== 3. speed benchmark on CUDA (published loop and scikit-learn on the CPU, timed on a part of an epoch)"
timeout 75 "$PY" bench/mlp_speed.py --device cuda --threads 0 --rows 1000000 --max-seconds 8 \
    --models 256 --json "$OUT/mlp_speed_cuda.json"
rc_bench=$?
echo "== done: self-check rc=$rc_self, fused rc=$rc_fused, grid rc=$rc_grid, benchmark rc=$rc_bench; files in $OUT"
ls -l "$OUT"
