#!/usr/bin/env bash
# Out-of-core check: peak memory of `epilstm train --store` and `epilstm embed` on a store, and on a
# store with 10x as many positions (each region ten times longer, its signal tiled). Peak RSS should stay
# within ~10% (memory is bounded by the frame batch and the block cache, not the genome).
# usage: bench/memory_bound.sh [epilstm binary] [store.h5]   (default: build/main/bin/epilstm,
#        results/main/store.h5 as written by scripts/run-main.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/main/bin/epilstm}
store=${2:-results/main/store.h5}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$bin" ] && [ -f "$store" ] || { echo "need $bin and $store (run scripts/run-main.sh first)" >&2; exit 1; }

"$py" - "$store" "$work/x10.h5" <<'PY'
# The same regions, each ten times longer (its signal tiled along the genome): 10x the positions
# with the same number of regions. Chromosome sizes are scaled so the coordinates stay valid.
import h5py, numpy as np, sys
src, dst = sys.argv[1], sys.argv[2]
with h5py.File(src) as s, h5py.File(dst, 'w') as d:
    for k, v in s.attrs.items(): d.attrs[k] = v
    s.copy(s['tracks'], d, 'tracks')
    d['genome/chrom'] = s['genome/chrom'][:]
    d['genome/size'] = s['genome/size'][:] * 11
    names = list(s['regions/names'].asstr()[:])
    for n in names:
        g = s['regions/' + n]
        sig = np.tile(g['signal'][:], (1, 10)); miss = np.tile(g['missing'][:], 10)
        o = d.create_group('regions/' + n)
        o.create_dataset('signal', data=sig, chunks=(sig.shape[0], min(4096, sig.shape[1])), shuffle=True, compression='gzip', compression_opts=4)
        o.create_dataset('missing', data=miss, chunks=(min(4096, miss.shape[0]),), shuffle=True, compression='gzip', compression_opts=4)
        o['track_coverage'] = g['track_coverage'][:]
        for k, v in g.attrs.items(): o.attrs[k] = v
        a, b = g['signal'].attrs, o['signal'].attrs
        for k, v in a.items(): b[k] = v
        b['start'] = a['start'] * 10
        b['end'] = b['start'] + sig.shape[1] * a['bin_size']
    d['regions/names'] = s['regions/names'][:]
PY

measure() {  # measure <label> <command...>: prints peak RSS (MB) and wall time
    local label=$1; shift
    /usr/bin/time -f "%M %e" -o "$work/t" "$@" >/dev/null 2>&1
    read -r kb sec <"$work/t"
    printf '%-34s peak RSS %7.1f MB   %6.1f s\n' "$label" "$(echo "$kb / 1024" | bc -l)" "$sec"
    echo "$kb" >"$work/last"
}
positions() { "$py" -c "import h5py,sys; f=h5py.File(sys.argv[1]); print(sum(f['regions/'+n+'/missing'].shape[0] for n in f['regions/names'].asstr()[:]))" "$1"; }
echo "store 1x: $(positions "$store") positions; store 10x: $(positions "$work/x10.h5") positions"
for what in train embed; do
    for s in "$store" "$work/x10.h5"; do
        label="$what $(basename "$s")"
        if [ $what = train ]; then
            measure "$label" "$bin" train --store "$s" --model "$work/m.h5" --epochs 1 --hidden-size 16 --batch 32 --shuffle
        else
            measure "$label" "$bin" embed --model "$work/m.h5" --store "$s" --out "$work/e.h5" --streams 8
        fi
        eval "${what}_$([ "$s" = "$store" ] && echo 1 || echo 10)=$(cat "$work/last")"
    done
done
echo "train: 10x/1x peak RSS = $(echo "scale=3; $train_10 / $train_1" | bc)"
echo "embed: 10x/1x peak RSS = $(echo "scale=3; $embed_10 / $embed_1" | bc)"
