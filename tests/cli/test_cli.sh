#!/usr/bin/env bash
# End-to-end checks of the `epilstm` program: reconstruct against the independent PyTorch
# reference, init/train/reconstruct round trip, determinism, and one clear error line with exit
# status 2 and no output file for every bad input.
# usage: test_cli.sh <epilstm binary> <repo root> <scratch dir>
set -uo pipefail
bin=$1; root=$2; work=$3
py=/usr/bin/python3
ref="$root/tests/reference/epilstm_reference.py"
fix="$root/tests/fixtures"
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"

# expect_error <name> <substring> <command...>: exit 2, exactly one stderr line naming the problem
expect_error() {
    local name=$1 want=$2; shift 2
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    local lines; lines=$(grep -c . stderr.txt)
    if [ "$rc" -eq 2 ] && grep -qF -- "$want" stderr.txt && [ "$lines" -eq 1 ]; then
        ok "$name"
    else
        fail "$name (exit $rc, want 2 and one line containing '$want'; stderr: $(cat stderr.txt))"
    fi
}

"$bin" --help >help.txt 2>&1 && grep -q reconstruct help.txt && grep -q train help.txt && grep -q init help.txt \
    && ok "--help lists init, train, reconstruct" || fail "--help"
"$bin" train --help >help.txt 2>&1 && grep -q -- --hidden-size help.txt && grep -q -- --resume help.txt \
    && grep -q -- "--wiring.*paper | own_cell" help.txt && grep -q "16 variants" help.txt \
    && ok "train --help lists its options" || fail "train --help"

# Range checks: one short line naming the option, what it must be and what it got.
expect_exact() {  # <name> <expected stderr line> <command...>: exit 2, exactly that one line
    local name=$1 want=$2; shift 2
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(cat stderr.txt)" = "$want" ]; then ok "$name"; else
        fail "$name (exit $rc, want '$want'; stderr: $(cat stderr.txt))"; fi
}
expect_exact "--batch 0" "epilstm: error: --batch must be a positive integer (got 0)" \
    "$bin" train --matrix "$fix/pilot_slice.h5" --model never.h5 --batch 0
expect_exact "--hidden-size 1.5" "epilstm: error: --hidden-size must be a positive integer (got 1.5)" \
    "$bin" init --tracks 3 --hidden-size 1.5 --out never.h5
expect_exact "--lr -1" "epilstm: error: --lr must be a positive number (got -1)" \
    "$bin" train --matrix "$fix/pilot_slice.h5" --model never.h5 --lr -1
expect_exact "--lr nan" "epilstm: error: --lr must be a positive number (got nan)" \
    "$bin" train --matrix "$fix/pilot_slice.h5" --model never.h5 --lr nan
expect_exact "--patience -2" "epilstm: error: --patience must be a non-negative integer (got -2)" \
    "$bin" train --matrix "$fix/pilot_slice.h5" --model never.h5 --patience -2
expect_exact "--lr-decay 2" "epilstm: error: --lr-decay must be a number from 1e-06 to 1 (got 2)" \
    "$bin" train --matrix "$fix/pilot_slice.h5" --model never.h5 --lr-decay 2
expect_exact "embed --streams 0" "epilstm: error: --streams must be a positive integer (got 0)" \
    "$bin" embed --model "$fix/parity/softsign_layer_norm.model.h5" --matrix "$fix/pilot_slice.h5" --out never.h5 --streams 0
[ ! -e never.h5 ] && ok "a refused value writes nothing" || fail "never.h5 written"

# A checkpoint whose weights were damaged on disk: one error naming file and dataset, nothing written.
"$bin" init --matrix "$fix/pilot_slice.h5" --hidden-size 4 --seed 1 --out damaged.h5 >/dev/null
"$py" - damaged.h5 <<'PY'
import h5py, sys
with h5py.File(sys.argv[1], 'r') as f:
    info = f['encoder/W_x'].id.get_chunk_info(0)
with open(sys.argv[1], 'r+b') as g:
    g.seek(info.byte_offset + 5); b = g.read(1); g.seek(info.byte_offset + 5); g.write(bytes([b[0] ^ 0x5a]))
PY
expect_error "a damaged checkpoint is refused" "damaged.h5: reading dataset /encoder/W_x failed: checksum mismatch" \
    "$bin" reconstruct --model damaged.h5 --matrix "$fix/pilot_slice.h5" --out never.h5
[ ! -e never.h5 ] && ok "a damaged checkpoint writes nothing" || fail "never.h5 written from a damaged checkpoint"

# 1. reconstruct matches the PyTorch reference on every parity fixture.
for v in softsign_layer_norm tanh_layer_norm softsign_none tanh_none; do
    if "$bin" reconstruct --model "$fix/parity/$v.model.h5" --matrix "$fix/parity/$v.matrix.h5" --out "$v.out.h5" >/dev/null \
        && "$py" "$ref" compare --expected "$fix/parity/$v.expected.h5" --actual "$v.out.h5" \
               --datasets embedding reconstruction --rtol 1e-5 --atol 1e-6 >compare.txt 2>&1; then
        ok "reconstruct $v matches the PyTorch reference"
    else
        fail "reconstruct $v: $(cat compare.txt)"
    fi
done

# 2. init → train → reconstruct round trip; same seed gives identical checkpoints.
slice="$fix/pilot_slice.h5"
"$bin" init --matrix "$slice" --hidden-size 6 --seed 3 --out init.h5 >/dev/null && [ -f init.h5 ] \
    && ok "init writes a checkpoint" || fail "init"
"$py" -c "import h5py,sys; f=h5py.File('init.h5'); sys.exit(0 if f.attrs['format']=='epilstm-checkpoint' and f['encoder/W_x'].shape==(24,25) and f['tracks'].shape==(25,) else 1)" \
    && ok "h5py reads the checkpoint layout" || fail "h5py reads the checkpoint layout"
for run in a b; do
    "$bin" train --matrix "$slice" --model "train_$run.h5" --epochs 2 --hidden-size 6 --batch 8 --seed 5 >"train_$run.txt" 2>&1 \
        || fail "train run $run: $(cat train_$run.txt)"
done
h5diff train_a.h5 train_b.h5 >/dev/null 2>&1 && ok "training is deterministic for a seed" || fail "training determinism"
grep -q "epoch 2/2" train_a.txt && ok "train reports each epoch" || fail "train output: $(cat train_a.txt)"
"$bin" train --matrix "$slice" --model train_a.h5 --epochs 1 --batch 8 --resume >resume.txt 2>&1 \
    && ok "train --resume continues from a checkpoint" || fail "train --resume: $(cat resume.txt)"
"$bin" reconstruct --model train_a.h5 --matrix "$slice" --out rec.h5 >rec.txt 2>&1 \
    && "$py" -c "import h5py,sys; f=h5py.File('rec.h5'); sys.exit(0 if f['embedding'].shape==(4000,6) and f['reconstruction'].shape==(4000,25) else 1)" \
    && ok "reconstruct writes /embedding and /reconstruction" || fail "reconstruct round trip: $(cat rec.txt)"

# The wiring is recorded in the checkpoint and used: same seed, same parameters, so the two wirings
# share the embedding (the encoder) and differ in the reconstruction (the decoder).
"$bin" init --matrix "$slice" --hidden-size 6 --seed 3 --wiring own_cell --out wiring_own.h5 >wiring_own.txt 2>&1 \
    && grep -q "own_cell wiring" wiring_own.txt \
    && "$py" -c "import h5py,sys; sys.exit(0 if h5py.File('wiring_own.h5').attrs['wiring']=='own_cell' and h5py.File('init.h5').attrs['wiring']=='paper' else 1)" \
    && ok "init --wiring own_cell records the wiring" || fail "init --wiring own_cell: $(cat wiring_own.txt)"
if "$bin" reconstruct --model wiring_own.h5 --matrix "$slice" --out wiring_own_rec.h5 >wiring_own_rec.txt 2>&1 \
    && "$bin" reconstruct --model init.h5 --matrix "$slice" --out wiring_paper_rec.h5 >>wiring_own_rec.txt 2>&1; then
    h5diff wiring_own_rec.h5 wiring_paper_rec.h5 /embedding /embedding >/dev/null 2>&1; same_emb=$?
    h5diff wiring_own_rec.h5 wiring_paper_rec.h5 /reconstruction /reconstruction >/dev/null 2>&1; same_rec=$?
    [ "$same_emb" -eq 0 ] && [ "$same_rec" -eq 1 ] && ok "reconstruct runs an own-cell checkpoint with its wiring" \
        || fail "own-cell reconstruct: embedding h5diff $same_emb (want 0), reconstruction h5diff $same_rec (want 1)"
else
    fail "reconstruct an own-cell checkpoint: $(cat wiring_own_rec.txt)"
fi

# 3. Bad inputs.
"$py" - <<'PY' || fail "making bad inputs"
import h5py, numpy as np
x = np.random.default_rng(0).random((30, 25), dtype=np.float32)
with h5py.File('wrong_d.h5', 'w') as f: f['signal'] = x[:, :24]
with h5py.File('no_signal.h5', 'w') as f: f['other'] = x
with h5py.File('rank1.h5', 'w') as f: f['signal'] = x[:, 0]
with h5py.File('ints.h5', 'w') as f: f['signal'] = (x * 10).astype(np.int32)
y = x.copy(); y[17, 3] = np.nan
with h5py.File('nan.h5', 'w') as f: f['signal'] = y
with h5py.File('foreign.h5', 'w') as f: f['data'] = x
open('not_hdf5.h5', 'w').write('plain text, not HDF5\n')
PY
m=train_a.h5
expect_error "missing model file" "missing_model.h5" "$bin" reconstruct --model missing_model.h5 --matrix "$slice" --out o1.h5
expect_error "model is not HDF5" "not_hdf5.h5" "$bin" reconstruct --model not_hdf5.h5 --matrix "$slice" --out o2.h5
expect_error "model is a foreign HDF5 file" "foreign.h5 is not a model checkpoint" "$bin" reconstruct --model foreign.h5 --matrix "$slice" --out o3.h5
expect_error "matrix without /signal" "/signal" "$bin" reconstruct --model $m --matrix no_signal.h5 --out o4.h5
expect_error "matrix with the wrong number of tracks" "25" "$bin" reconstruct --model $m --matrix wrong_d.h5 --out o5.h5
expect_error "matrix of rank 1" "rank" "$bin" reconstruct --model $m --matrix rank1.h5 --out o6.h5
expect_error "integer matrix" "float" "$bin" reconstruct --model $m --matrix ints.h5 --out o7.h5
expect_error "NaN in the signal" "row 17" "$bin" reconstruct --model $m --matrix nan.h5 --out o8.h5
expect_error "NaN in training input" "nan.h5" "$bin" train --matrix nan.h5 --model o9.h5 --epochs 1
expect_error "unknown activation" "relu" "$bin" init --tracks 4 --activation relu --out o10.h5
expect_error "unknown normalization" "batch_norm" "$bin" train --matrix "$slice" --normalization batch_norm --model o11.h5
expect_error "unknown wiring" "unknown wiring 'bogus' (allowed: 'paper', 'own_cell')" "$bin" init --tracks 4 --wiring bogus --out o13.h5
expect_error "missing required option" "--out" "$bin" reconstruct --model $m --matrix "$slice"
expect_error "resume without a checkpoint" "o12.h5" "$bin" train --matrix "$slice" --model o12.h5 --resume
expect_error "resume with another track count" "25" "$bin" train --matrix wrong_d.h5 --model $m --resume
leftover=$(ls o*.h5 2>/dev/null; ls ./*.tmp* 2>/dev/null)
[ -z "$leftover" ] && ok "no output or temporary file left by a failed command" || fail "left behind: $leftover"

# A failed write keeps the previous output intact.
cp rec.h5 rec_before.h5
"$bin" reconstruct --model $m --matrix nan.h5 --out rec.h5 >/dev/null 2>&1
cmp -s rec.h5 rec_before.h5 && ok "a failed run leaves an existing output untouched" || fail "existing output changed"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
