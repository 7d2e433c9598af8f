#!/usr/bin/env bash
# cli.device: `--device` of train, embed and reconstruct.
#   - cpu and auto always work (auto falls back to the CPU without CUDA or without a GPU);
#   - without a usable GPU (or in a build without CUDA) `--device cuda` fails with one line
#     "epilstm: error: --device cuda: ..." and exit status 2, leaving no output file;
#   - with a GPU, `--device cuda` must give the CPU's reconstruction (relative error ≤ 1e-4).
# Usage: test_cli_device.sh EPILSTM_EXE SOURCE_DIR WORK_DIR
set -euo pipefail
exe=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
fx=$src/tests/fixtures/parity
model=$fx/softsign_layer_norm.model.h5
matrix=$fx/softsign_layer_norm.matrix.h5

"$exe" reconstruct --model "$model" --matrix "$matrix" --out "$work/cpu.h5" --device cpu > /dev/null
"$exe" reconstruct --model "$model" --matrix "$matrix" --out "$work/auto.h5" --device auto > /dev/null
test -f "$work/cpu.h5" && test -f "$work/auto.h5"

gpu=0
if command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L > /dev/null 2>&1; then gpu=1; fi

expect_refusal() {  # expect_refusal OUTPUT_FILE COMMAND...
    local out=$1; shift
    set +e
    "$@" > "$work/stdout" 2> "$work/stderr"
    local rc=$?
    set -e
    if [ "$rc" != 2 ]; then echo "FAIL: exit $rc (expected 2): $*"; cat "$work/stderr"; exit 1; fi
    if [ "$(wc -l < "$work/stderr")" != 1 ] || ! grep -q '^epilstm: error: --device cuda: ' "$work/stderr"; then
        echo "FAIL: expected one 'epilstm: error: --device cuda: ...' line, got:"; cat "$work/stderr"; exit 1
    fi
    if [ -e "$out" ]; then echo "FAIL: $out was left behind"; exit 1; fi
    echo "ok: $(cat "$work/stderr")"
}

if [ "$gpu" = 0 ]; then
    expect_refusal "$work/cuda.h5" "$exe" reconstruct --model "$model" --matrix "$matrix" --out "$work/cuda.h5" --device cuda
    expect_refusal "$work/emb.h5" "$exe" embed --model "$model" --matrix "$matrix" --out "$work/emb.h5" --device cuda
    expect_refusal "$work/train.h5" "$exe" train --matrix "$matrix" --model "$work/train.h5" --epochs 1 --device cuda
    echo "no GPU here: --device cuda refused cleanly"
    exit 0
fi

"$exe" reconstruct --model "$model" --matrix "$matrix" --out "$work/cuda.h5" --device cuda
"$exe" train --matrix "$matrix" --model "$work/train.h5" --epochs 2 --device cuda
"$exe" embed --model "$work/train.h5" --matrix "$matrix" --out "$work/emb.h5" --device cuda
/usr/bin/python3 - "$work/cpu.h5" "$work/cuda.h5" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for name in ("/embedding", "/reconstruction"):
    x, y = a[name][...], b[name][...]
    rel = np.abs(x - y).max() / max(np.abs(x).max(), 1e-30)
    print(f"{name}: max relative difference cpu vs cuda {rel:.3g}")
    assert rel <= 1e-4, name
PY
echo "GPU: --device cuda matches the CPU"
