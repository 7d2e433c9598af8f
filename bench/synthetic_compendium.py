#!/usr/bin/python3
"""A synthetic Roadmap-shaped compendium for the genome-scale benchmark (bench/genome_scale.sh, issue #14).

Writes D bigWigs (default 1,014: 127 epigenomes E001..E127 x 8 assays, the first D of them) over one
region of one chromosome, shaped like Roadmap's consolidated -log10 p-value tracks:

- bedGraph-style records of variable length (geometric, mean --record-bins bins of 25 bp), not one
  record per bin: what a real Roadmap bigWig holds and what `epilstm prepare` must bin;
- values drawn from the empirical distribution of the shipped pilot tracks of the same assay
  (shared/data/roadmap_pilot_hg19; assays the pilot lacks borrow the closest mark's: H3K27ac, H3K9ac
  and DNase take H3K4me3's), so the sparsity (~80 % of bins below 0.5) and the heavy tail are real;
- correlated across tracks as real tracks are: a genome-wide activity field shared by all tracks, a
  field per assay and one per epigenome, mixed per track, so a model has structure to learn;
- a few gaps without data (--gap-fraction of the region), which the store records as missing.

Deterministic for a fixed --seed. Uses Debian's python3-numpy and python3-pybigwig only.

usage: synthetic_compendium.py --out DIR [--tracks 1014] [--positions 2000000] [--chrom chr1]
                               [--start 10000000] [--seed 1] [--jobs 2]
Writes DIR/<EPIGENOME>.<ASSAY>.synthetic.bigWig, DIR/genome.sizes and DIR/region.bed.
"""
import argparse
import glob
import multiprocessing
import os
import sys

import numpy as np
import pyBigWig

BIN = 25
ASSAYS = ["H3K4me3", "H3K4me1", "H3K27me3", "H3K36me3", "H3K9me3", "H3K27ac", "H3K9ac", "DNase"]
BORROW = {"H3K27ac": "H3K4me3", "H3K9ac": "H3K4me3", "DNase": "H3K4me3"}
HG19_CHR1 = 249250621


def pilot_quantiles(pilot_dir, assay, n=4096):
    """n quantiles of the pilot's values for `assay` (all its epigenomes pooled)."""
    values = []
    for path in sorted(glob.glob(os.path.join(pilot_dir, "*." + assay + ".*bigWig"))):
        bw = pyBigWig.open(path)
        for chrom in bw.chroms():
            iv = bw.intervals(chrom)
            if iv:
                values.append(np.fromiter((v for _, _, v in iv), dtype=np.float64, count=len(iv)))
        bw.close()
    if not values:
        sys.exit(f"synthetic_compendium: no pilot bigWig for {assay} in {pilot_dir}")
    return np.quantile(np.concatenate(values), np.linspace(0, 1, n))


def runs(rng, bins, mean_length):
    """Ends of consecutive runs of geometric length (mean `mean_length` bins) covering `bins`."""
    lengths = rng.geometric(1.0 / mean_length, size=bins // max(mean_length, 1) * 2 + 16)
    ends = np.minimum(np.cumsum(lengths), bins)
    return ends[: np.searchsorted(ends, bins) + 1]


def smooth_field(rng, bins, mean_segment):
    """A piecewise-constant standard-normal field over `bins`: segments of geometric length."""
    ends = runs(rng, bins, mean_segment)
    levels = rng.standard_normal(len(ends))
    return np.repeat(levels, np.diff(np.concatenate([[0], ends])))


def track_ids(count):
    ids = [(f"E{e:03d}", a) for e in range(1, 128) for a in ASSAYS]
    if count > len(ids):
        sys.exit(f"synthetic_compendium: at most {len(ids)} tracks")
    return ids[:count]


FIELDS = {}  # set before the worker processes fork: shared with them, never pickled


def write_track(job):
    (out, epigenome, assay, t, seed, bins, start, chrom, record_bins, gap_fraction) = job
    rng = np.random.default_rng([seed, t])
    quantiles = FIELDS["quantiles"][assay]
    g_all, g_assay, g_epi = FIELDS["all"], FIELDS["assay"][assay], FIELDS["epigenome"][epigenome]
    # The track's activity: shared + assay + epigenome fields (correlated tracks), per-bin noise.
    z = 0.45 * g_all + 0.55 * g_assay + 0.45 * g_epi + 0.55 * rng.standard_normal(bins)
    # Records: runs of geometric length; each record takes its first bin's activity.
    ends = runs(rng, bins, record_bins)
    starts = np.concatenate([[0], ends[:-1]])
    u = 0.5 * (1 + np.tanh(0.8 * z[starts]))  # a smooth CDF of the activity, in (0, 1)
    values = np.interp(u, np.linspace(0, 1, len(quantiles)), quantiles).astype(np.float64)
    keep = np.ones(len(starts), dtype=bool)
    if gap_fraction > 0:  # a few stretches without data (unmappable regions, as in real tracks)
        gaps = rng.random(len(starts)) < gap_fraction / 20
        keep &= ~np.convolve(gaps, np.ones(20), mode="same").astype(bool)
    starts, ends, values = starts[keep], ends[keep], values[keep]
    path = os.path.join(out, f"{epigenome}.{assay}.synthetic.bigWig")
    tmp = path + ".tmp"
    bw = pyBigWig.open(tmp, "w")
    bw.addHeader([(chrom, HG19_CHR1)], maxZooms=0)
    bw.addEntries([chrom] * len(starts), (start + starts * BIN).tolist(), ends=(start + ends * BIN).tolist(),
                  values=values.tolist())
    bw.close()
    os.replace(tmp, path)
    return len(starts)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--tracks", type=int, default=1014)
    p.add_argument("--positions", type=int, default=2_000_000, help="25-bp bins in the region")
    p.add_argument("--chrom", default="chr1")
    p.add_argument("--start", type=int, default=10_000_000)
    p.add_argument("--record-bins", type=int, default=4, help="mean record length in bins")
    p.add_argument("--gap-fraction", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--pilot", default=os.environ.get("EPILSTM_SHARED_DIR", os.path.join(here, "..", "..", "shared"))
                   + "/data/roadmap_pilot_hg19/signal")
    a = p.parse_args()
    bins = a.positions
    if a.start + bins * BIN > HG19_CHR1:
        sys.exit("synthetic_compendium: the region runs past the end of chr1 (249,250,621 bp)")
    os.makedirs(a.out, exist_ok=True)
    quantiles = {x: pilot_quantiles(a.pilot, BORROW.get(x, x)) for x in ASSAYS}
    rng = np.random.default_rng(a.seed)
    g_all = smooth_field(rng, bins, 40)  # ~1 kb segments: chromatin states
    g_assay = {x: smooth_field(rng, bins, 40) for x in ASSAYS}
    ids = track_ids(a.tracks)
    epis = sorted({e for e, _ in ids})
    g_epi = {e: smooth_field(rng, bins, 200) for e in epis}  # ~5 kb: cell-type domains
    FIELDS.update({"quantiles": quantiles, "all": g_all, "assay": g_assay, "epigenome": g_epi})
    jobs = [(a.out, e, x, t, a.seed, bins, a.start, a.chrom, a.record_bins, a.gap_fraction)
            for t, (e, x) in enumerate(ids)]
    records = 0
    with multiprocessing.get_context("fork").Pool(a.jobs) as pool:
        for i, n in enumerate(pool.imap(write_track, jobs, chunksize=4), 1):
            records += n
            if i % 50 == 0 or i == len(jobs):
                print(f"synthetic_compendium: {i}/{len(jobs)} tracks", file=sys.stderr, flush=True)
    with open(os.path.join(a.out, "genome.sizes"), "w") as f:
        f.write(f"{a.chrom}\t{HG19_CHR1}\n")
    with open(os.path.join(a.out, "region.bed"), "w") as f:
        f.write(f"{a.chrom}\t{a.start}\t{a.start + bins * BIN}\tsynthetic\n")
    print(f"wrote {len(jobs)} bigWigs of {bins:,} bins ({records / len(jobs):,.0f} records each on average) to {a.out}")


if __name__ == "__main__":
    main()
