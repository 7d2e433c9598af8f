#!/usr/bin/env bash
# End-to-end checks of `epilstm prepare`: a good run on small bigWigs written here with pyBigWig
# (layout read back with h5py), the shipped pilot bigWigs from a folder, and every bad input:
# one `epilstm: error:` line naming the file and what was expected, exit status 2, the existing
# store byte-identical afterwards and no temporary file left.
# usage: test_prepare.sh <epilstm binary> <repo root> <scratch dir> [<shared dir>]
set -uo pipefail
bin=$1; root=$2; work=$3; shared=${4:-$root/../shared}
py=/usr/bin/python3
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"

# Small inputs: genome chrA 1000 / chrB 500 / chrC 300; bigWigs with 25 bp intervals.
"$py" - <<'PY' || { echo "FAIL - making the bigWigs"; exit 1; }
import os, pyBigWig
def bw(path, chroms, entries):
    b = pyBigWig.open(path, "w"); b.addHeader(chroms, maxZooms=0)
    for chrom, starts, vals in entries:
        b.addEntries(chrom, starts, values=[float(v) for v in vals], span=25, step=25)
    b.close()
good = [("chrA", 1000), ("chrB", 500)]
bw("E1.K4.bigWig", good, [("chrA", 0, [1, 2, 3, 4, 0.5] * 4), ("chrB", 100, [7, 8])])
bw("E2.K4.bigWig", good, [("chrA", 250, [10, 20, 30, 40])])
bw("sizes.bigWig", [("chrA", 999), ("chrB", 500)], [("chrA", 0, [1])])
bw("alien.bigWig", [("chrA", 1000), ("chrZ", 50)], [("chrA", 0, [1])])
bw("nan.bigWig", good, [("chrA", 0, [1, 2, float("nan"), 4])])
bw("inf.bigWig", good, [("chrB", 75, [1, float("-inf")])])
open("text.bigWig", "w").write("this is not a bigWig\n")
data = open("E1.K4.bigWig", "rb").read()
open("trunc_header.bigWig", "wb").write(data[:40])
os.makedirs("dupdir", exist_ok=True)
for n in ("E1.K4.a.bigWig", "E1.K4.b.bigWig"):
    os.symlink(os.path.abspath("E1.K4.bigWig"), os.path.join("dupdir", n))
PY
printf 'chrA\t1000\nchrB\t500\nchrC\t300\n' > genome.sizes
printf 'chrA\t0\t500\tfirst\nchrB\t90\t160\tsecond\n' > regions.bed
printf '# a comment\ntrack_id\tcell_type\tassay\tpath\nE1.K4\tE1\tK4\tE1.K4.bigWig\nE2.K4\tE2\tK4\tE2.K4.bigWig\n' > tracks.tsv
mkdir -p sub; printf 'E1.K4\tE1\tK4\t../E1.K4.bigWig\n' > sub/relative.tsv

# 1. A good run.
if "$bin" prepare --manifest tracks.tsv --genome genome.sizes --regions regions.bed --out store.h5 >out.txt 2>err.txt; then
    ok "prepare runs"
else
    fail "prepare: $(cat err.txt)"
fi
grep -q "wrote store.h5: 2 tracks, 2 regions, 24 positions" out.txt && ok "summary line" || fail "summary: $(cat out.txt)"
grep -q "region 2/2 second" err.txt && grep -q "track 1/2 E1.K4" err.txt && ok "progress lines on stderr" || fail "progress: $(cat err.txt)"
"$py" - <<'PY' && ok "store layout and values (h5py)" || fail "store layout and values"
import h5py, numpy as np, sys
f = h5py.File("store.h5", "r")
a = f.attrs
assert a["format"] == "epilstm-signal-store" and a["version"] == 1 and a["bin_size"] == 25 and a["transform"] == "asinh"
assert a["genome"] == "genome.sizes"
assert [s.decode() for s in f["tracks/id"][:]] == ["E1.K4", "E2.K4"]
assert [s.decode() for s in f["tracks/cell_type"][:]] == ["E1", "E2"]
assert [s.decode() for s in f["tracks/assay"][:]] == ["K4", "K4"]
assert f["tracks/path"][0].decode().endswith("E1.K4.bigWig")
assert [s.decode() for s in f["genome/chrom"][:]] == ["chrA", "chrB", "chrC"] and list(f["genome/size"][:]) == [1000, 500, 300]
assert [s.decode() for s in f["regions/names"][:]] == ["first", "second"]
s = f["regions/first/signal"]
assert s.shape == (2, 20) and s.dtype == np.float32 and s.compression == "gzip" and s.shuffle
assert s.attrs["chrom"] == "chrA" and s.attrs["start"] == 0 and s.attrs["end"] == 500 and s.attrs["bin_size"] == 25
raw1 = np.array([1, 2, 3, 4, 0.5] * 4)
assert np.allclose(s[0], np.arcsinh(raw1), atol=1e-7)
e2 = np.zeros(20); e2[10:14] = np.arcsinh([10, 20, 30, 40])
assert np.allclose(s[1], e2, atol=1e-7)
m = f["regions/first/missing"][:]
assert m.dtype == np.uint8 and m.sum() == 0
cov = f["regions/first/track_coverage"][:]
assert np.allclose(cov, [1.0, 0.2])
# chrB:90-160 widens to 75-175 (4 bins): E1 has 100-125 and 125-150; bins 75-100 and 150-175 empty
t = f["regions/second/signal"]
assert t.attrs["start"] == 75 and t.attrs["end"] == 175 and t.shape == (2, 4)
assert list(f["regions/second/missing"][:]) == [1, 0, 0, 1]
assert np.allclose(t[0], [0, np.arcsinh(7), np.arcsinh(8), 0], atol=1e-7)
PY
"$bin" prepare --manifest tracks.tsv --genome genome.sizes --out whole.h5 -q >out.txt 2>err.txt \
    && [ ! -s err.txt ] && "$py" -c "
import h5py, sys; f = h5py.File('whole.h5')
names = [s.decode() for s in f['regions/names'][:]]
sys.exit(0 if names == ['chrA', 'chrB', 'chrC'] and f['regions/chrC/signal'].shape == (2, 12) and f['regions/chrC/missing'][:].all() else 1)" \
    && ok "no --regions: whole chromosomes (last bin may pass the end), --quiet" || fail "whole chromosomes: $(cat err.txt out.txt)"
"$bin" prepare --manifest sub/relative.tsv --genome genome.sizes --regions regions.bed --transform none --bin-size 50 --out rel.h5 -q >/dev/null 2>err.txt \
    && "$py" -c "
import h5py, numpy as np, sys; f = h5py.File('rel.h5'); s = f['regions/first/signal']
sys.exit(0 if f.attrs['transform'] == 'none' and s.shape == (1, 10) and np.allclose(s[0, :2], [1.5, 3.5]) else 1)" \
    && ok "relative manifest paths, --transform none, --bin-size 50 averages" || fail "relative/none/bin 50: $(cat err.txt)"
if [ -d "$shared/data/roadmap_pilot_hg19/signal" ]; then
    printf 'chr7\t115810500\t115835500\tENm001_head\n' > pilot.bed
    "$bin" prepare --bigwig-dir "$shared/data/roadmap_pilot_hg19/signal" --genome "$shared/data/annotations_hg19/hg19.chrom.sizes" \
        --regions pilot.bed --out pilot.h5 >out.txt 2>err.txt \
        && grep -q "25 tracks, 1 regions, 1000 positions" out.txt \
        && "$py" -c "
import h5py, sys; f = h5py.File('pilot.h5')
sys.exit(0 if f['tracks/id'][3].decode() == 'E003.H3K4me3' and f['tracks/cell_type'][3].decode() == 'E003' and f['tracks/assay'][3].decode() == 'H3K4me3' else 1)" \
        && ok "--bigwig-dir on the shipped pilot bigWigs" || fail "--bigwig-dir pilot: $(cat err.txt out.txt)"
else
    echo "skip - shared pilot data not found at $shared"
fi

# 2. Bad inputs: exit 2, one error line containing every expected piece, store untouched, no temp file.
cp store.h5 store_before.h5
# expect_error <name> <command args after 'prepare'...> -- <substring>...
expect_error() {
    local name=$1; shift
    local args=()
    while [ "$1" != "--" ]; do args+=("$1"); shift; done; shift
    "$bin" prepare "${args[@]}" --out store.h5 -q >stdout.txt 2>stderr.txt; local rc=$?
    local lines; lines=$(grep -c . stderr.txt)
    local missing=""
    for want in "$@"; do grep -qF -- "$want" stderr.txt || missing="$missing '$want'"; done
    if [ "$rc" -eq 2 ] && [ -z "$missing" ] && [ "$lines" -eq 1 ] && grep -q '^epilstm: error: ' stderr.txt \
        && cmp -s store.h5 store_before.h5 && [ -z "$(ls ./*.tmp-* 2>/dev/null)" ]; then
        ok "$name"
    else
        fail "$name (exit $rc; missing:$missing; store $(cmp -s store.h5 store_before.h5 && echo unchanged || echo CHANGED); stderr: $(cat stderr.txt))"
    fi
}
manifest() { printf 'E1.K4\tE1\tK4\tE1.K4.bigWig\n%s\t%s\t%s\t%s\n' "$@" > "$name_tsv"; }
g=(--genome genome.sizes --regions regions.bed)

name_tsv=m_missing.tsv; manifest X.K4 X K4 absent.bigWig
expect_error "missing bigWig" --manifest m_missing.tsv "${g[@]}" -- "m_missing.tsv:2" "absent.bigWig" "no such file"
name_tsv=m_text.tsv; manifest X.K4 X K4 text.bigWig
expect_error "a file that is not a bigWig" --manifest m_text.tsv "${g[@]}" -- "m_text.tsv:2" "text.bigWig" "not a bigWig"
name_tsv=m_trunc.tsv; manifest X.K4 X K4 trunc_header.bigWig
expect_error "a truncated bigWig" --manifest m_trunc.tsv "${g[@]}" -- "m_trunc.tsv:2" "trunc_header.bigWig" "truncated"
name_tsv=m_dir.tsv; manifest X.K4 X K4 sub
expect_error "a directory instead of a bigWig" --manifest m_dir.tsv "${g[@]}" -- "m_dir.tsv:2" "directory"
name_tsv=m_sizes.tsv; manifest X.K4 X K4 sizes.bigWig
expect_error "bigWig chromosome size disagrees with the genome" --manifest m_sizes.tsv "${g[@]}" \
    -- "sizes.bigWig" "chromosome chrA" "size 999" "1000" "genome.sizes"
name_tsv=m_alien.tsv; manifest X.K4 X K4 alien.bigWig
expect_error "bigWig chromosome not in the genome" --manifest m_alien.tsv "${g[@]}" -- "alien.bigWig" "chrZ" "genome.sizes"
name_tsv=m_nan.tsv; manifest X.K4 X K4 nan.bigWig
expect_error "NaN value in a bigWig" --manifest m_nan.tsv "${g[@]}" -- "nan.bigWig" "NaN" "chrA:50-75"
name_tsv=m_inf.tsv; manifest X.K4 X K4 inf.bigWig
expect_error "infinite value in a bigWig" --manifest m_inf.tsv "${g[@]}" -- "inf.bigWig" "-inf" "chrB:100-125"
name_tsv=m_dup.tsv; manifest E1.K4 E1 K4 E2.K4.bigWig
expect_error "duplicate track ids in a manifest" --manifest m_dup.tsv "${g[@]}" -- "m_dup.tsv" "duplicate track id 'E1.K4'" "lines 1 and 2"
expect_error "duplicate track ids in a folder" --bigwig-dir dupdir "${g[@]}" -- "duplicate track id 'E1.K4'" "E1.K4.a.bigWig" "E1.K4.b.bigWig"
printf 'E1.K4\tE1\tK4\n' > m_cols.tsv
expect_error "manifest line with 3 columns" --manifest m_cols.tsv "${g[@]}" -- "m_cols.tsv:1" "4 tab-separated columns"
printf 'chrA\t0\t500\nchrA\t900\t1100\n' > outside.bed
expect_error "region outside a chromosome" --manifest tracks.tsv --genome genome.sizes --regions outside.bed \
    -- "outside.bed:2" "chrA:900-1100" "outside chromosome chrA" "1000"
printf 'chrA\t0\t500\n\nchrB\t100\t100\n' > empty.bed
expect_error "empty region" --manifest tracks.tsv --genome genome.sizes --regions empty.bed -- "empty.bed:3" "empty"
printf 'chrA\t300\t200\n' > reversed.bed
expect_error "region with end before start" --manifest tracks.tsv --genome genome.sizes --regions reversed.bed -- "reversed.bed:1" "empty"
printf 'chrQ\t0\t100\n' > unknown.bed
expect_error "region on a chromosome not in the genome" --manifest tracks.tsv --genome genome.sizes --regions unknown.bed \
    -- "unknown.bed:1" "chrQ" "not in the genome"
printf 'chrA\tten\t100\n' > notnum.bed
expect_error "region with a non-numeric start" --manifest tracks.tsv --genome genome.sizes --regions notnum.bed -- "notnum.bed:1" "'ten'"
printf 'chrA\t0\t10\nchrA\t5\t20\n' > samebin.bed
expect_error "two regions on the same bins" --manifest tracks.tsv --genome genome.sizes --regions samebin.bed -- "samebin.bed" "lines 1 and 2"
printf 'chrA\t1000\nchrB\tbig\n' > bad.sizes
expect_error "bad chrom sizes line" --manifest tracks.tsv --genome bad.sizes --regions regions.bed -- "bad.sizes:2" "'big'"
expect_error "missing genome file" --manifest tracks.tsv --genome absent.sizes --regions regions.bed -- "absent.sizes" "no such file"
expect_error "missing regions file" --manifest tracks.tsv --genome genome.sizes --regions absent.bed -- "absent.bed" "no such file"
expect_error "missing manifest" --manifest absent.tsv "${g[@]}" -- "absent.tsv" "no such file"
expect_error "unknown transform" --manifest tracks.tsv "${g[@]}" --transform log -- "--transform 'log'" "asinh, none"
expect_error "zero bin size" --manifest tracks.tsv "${g[@]}" --bin-size 0 -- "--bin-size"
expect_error "both --manifest and --bigwig-dir" --manifest tracks.tsv --bigwig-dir dupdir "${g[@]}" -- "--manifest"
expect_error "neither --manifest nor --bigwig-dir" "${g[@]}" -- "--manifest" "--bigwig-dir"
expect_error "empty --bigwig-dir" --bigwig-dir sub "${g[@]}" -- "sub" "no *.bigWig files"
expect_error "unknown precision" --manifest tracks.tsv "${g[@]}" --precision float64 -- "--precision" "float32, float16"
expect_error "deflate level out of range" --manifest tracks.tsv "${g[@]}" --deflate-level 12 -- "--deflate-level"

# 3. Open files: every bigWig stays open. A low soft limit is raised; a hard limit below what the
#    tracks need is one clear error (2 tracks need about 66 files).
(ulimit -Sn 30 && "$bin" prepare --manifest tracks.tsv "${g[@]}" --out lowsoft.h5 -q >out.txt 2>err.txt) \
    && ok "a soft open-files limit below the tracks' needs is raised" || fail "soft limit: $(cat err.txt)"
(ulimit -n 40 && "$bin" prepare --manifest tracks.tsv "${g[@]}" --out lowhard.h5 -q >out.txt 2>err.txt); rc=$?
[ "$rc" -eq 2 ] && grep -q "needs about 66 open files" err.txt && grep -q "at most 40" err.txt && [ ! -e lowhard.h5 ] \
    && ok "a hard open-files limit below the tracks' needs is one error" || fail "hard limit (exit $rc): $(cat err.txt)"

# 4. float16 and threads: the same store for any --threads; float16 is about half the size.
"$bin" prepare --manifest tracks.tsv "${g[@]}" --out t1.h5 -q --threads 1 >/dev/null 2>&1 \
    && "$bin" prepare --manifest tracks.tsv "${g[@]}" --out t3.h5 -q --threads 3 >/dev/null 2>&1 && cmp -s t1.h5 t3.h5 \
    && ok "--threads 1 and 3 write the same bytes" || fail "--threads changes the store"
"$bin" prepare --manifest tracks.tsv "${g[@]}" --out half.h5 -q --precision float16 --deflate-level 1 >out.txt 2>&1 \
    && grep -q "float16" out.txt && ok "--precision float16 (summary names it)" || fail "float16: $(cat out.txt)"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
