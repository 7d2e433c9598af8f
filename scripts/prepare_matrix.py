#!/usr/bin/python3
"""Build an Epi-LSTM signal matrix (HDF5) from the shipped Roadmap pilot bigWigs.

For every track (bigWig file, sorted by file name; track id = first two dot-separated fields of the
name, e.g. E003.H3K4me3) the values at 25 bp bins over the requested regions are read, transformed
with numpy.arcsinh (MODEL-SPEC "Input transform") and written as one row per bin:

  /signal            [N, D] float32, row-major, chunked + shuffle + gzip
                     attrs: tracks (list of variable-length strings), bin_size=25, transform="arcsinh"
  /missing           [N] uint8: 1 where the bin has no data in EVERY track (excluded from the loss)
  /track_missing     [N, D] uint8: 1 where that track has no data at that bin (value stored as 0)
  /tracks            [D] variable-length strings (same as the attribute)
  /regions/name, /regions/chrom            [R] variable-length strings
  /regions/start, /regions/end             [R] int64, bin-aligned genome coordinates (0-based, half open)
  /regions/row_offset, /regions/n_rows     [R] int64, rows of /signal holding each region
  root attrs: bin_size=25, signal_dir, source="scripts/prepare_matrix.py"

Rows are the regions concatenated in the order given.  Row j of a region is the 25 bp interval
[start + 25 j, start + 25 j + 25).  A bin with no data in a track (outside every interval of that
bigWig) is 0 and flagged missing.

Named regions come from regions.tsv (next to the signal folder) and cover bigwig_start..bigwig_end
(the bigWigs' fixed 25 bp grid).  A `chr:start-end` region is widened to the 25 bp grid
(floor(start/25)*25 .. ceil(end/25)*25).

Run with /usr/bin/python3 (needs numpy, h5py, pyBigWig).
"""
import argparse
import csv
import glob
import os
import re
import sys
import time

import h5py
import numpy as np
import pyBigWig

BIN = 25
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data", "roadmap_pilot_hg19"))
DEFAULT_SIGNAL = os.path.join(DEFAULT_DATA, "signal")


def read_regions_tsv(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def resolve_regions(specs, regions_tsv, all_dev):
    table = read_regions_tsv(regions_tsv) if os.path.exists(regions_tsv) else []
    by_name = {r["name"]: r for r in table}
    out = []
    if all_dev:
        if not table:
            sys.exit(f"error: --all-dev needs {regions_tsv}")
        for r in table:
            if r["split"] == "dev":
                out.append((r["name"], r["chrom"], int(r["bigwig_start"]), int(r["bigwig_end"])))
    for spec in specs or []:
        for s in spec.split(","):
            s = s.strip()
            if not s:
                continue
            if s in by_name:
                r = by_name[s]
                out.append((s, r["chrom"], int(r["bigwig_start"]), int(r["bigwig_end"])))
                continue
            m = re.fullmatch(r"([^:]+):([\d,]+)-([\d,]+)", s)
            if not m:
                sys.exit(f"error: region {s!r} is neither a name in {regions_tsv} nor chr:start-end")
            chrom, a, b = m.group(1), int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
            if b <= a:
                sys.exit(f"error: region {s!r} is empty")
            a, b = (a // BIN) * BIN, -(-b // BIN) * BIN
            out.append((s, chrom, a, b))
    if not out:
        sys.exit("error: no regions given (use --regions and/or --all-dev)")
    for name, chrom, a, b in out:
        if a % BIN or b % BIN:
            sys.exit(f"error: region {name} {chrom}:{a}-{b} is not on the {BIN} bp grid")
    return out


def read_track(bw, chrom, start, end):
    """Values of bins [start, end) at 25 bp; returns (float64 values with NaN where no data)."""
    n = (end - start) // BIN
    vals = np.full(n, np.nan, dtype=np.float64)
    if chrom not in bw.chroms():
        return vals
    iv = bw.intervals(chrom, start, end)
    if not iv:
        return vals
    arr = np.asarray(iv, dtype=np.float64)  # columns start, end, value
    s, e, v = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2]
    if np.all(e - s == BIN) and np.all(s % BIN == 0) and np.all(s >= start) and np.all(e <= end):
        vals[(s - start) // BIN] = v  # fixed 25 bp step on the grid: the fast, exact path
        return vals
    # general bigWig: mean over the covered bases of each bin (bins with no covered base -> NaN)
    per_base = bw.values(chrom, start, end, numpy=True).astype(np.float64).reshape(n, BIN)
    cov = np.isfinite(per_base)
    cnt = cov.sum(axis=1)
    tot = np.where(cov, per_base, 0.0).sum(axis=1)
    ok = cnt > 0
    vals[ok] = tot[ok] / cnt[ok]
    return vals


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--signal-dir", default=DEFAULT_SIGNAL,
                    help=f"folder of *.bigWig tracks (default: {DEFAULT_SIGNAL})")
    ap.add_argument("--regions-tsv", default=None,
                    help="regions table (default: regions.tsv in the parent of --signal-dir)")
    ap.add_argument("--regions", nargs="*", default=[],
                    help="region names from regions.tsv (e.g. ENm001) and/or chr:start-end; comma or space separated")
    ap.add_argument("--all-dev", action="store_true", help="every region of regions.tsv with split=dev")
    ap.add_argument("--tracks", nargs="*", default=None,
                    help="only these track ids (e.g. E003.H3K4me3); default all, sorted by file name")
    ap.add_argument("--max-positions", type=int, default=None, help="keep only the first N rows")
    ap.add_argument("--compression-level", type=int, default=4)
    ap.add_argument("--chunk-rows", type=int, default=4096)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    t0 = time.time()
    regions_tsv = args.regions_tsv or os.path.join(os.path.dirname(os.path.abspath(args.signal_dir)), "regions.tsv")
    regions = resolve_regions(args.regions, regions_tsv, args.all_dev)

    files = sorted(glob.glob(os.path.join(args.signal_dir, "*.bigWig")) + glob.glob(os.path.join(args.signal_dir, "*.bw")))
    if not files:
        sys.exit(f"error: no bigWig files in {args.signal_dir}")
    track_ids = [".".join(os.path.basename(p).split(".")[:2]) for p in files]
    if args.tracks is not None:
        unknown = set(args.tracks) - set(track_ids)
        if unknown:
            sys.exit(f"error: unknown tracks {sorted(unknown)}")
        keep = [i for i, t in enumerate(track_ids) if t in set(args.tracks)]
        files, track_ids = [files[i] for i in keep], [track_ids[i] for i in keep]
    if len(set(track_ids)) != len(track_ids):
        sys.exit(f"error: duplicate track ids {track_ids}")

    # rows per region, truncated to --max-positions
    rows, off = [], 0
    for name, chrom, a, b in regions:
        n = (b - a) // BIN
        if args.max_positions is not None:
            n = min(n, args.max_positions - off)
        if n <= 0:
            break
        rows.append((name, chrom, a, a + n * BIN, off, n))
        off += n
    N, D = off, len(files)

    signal = np.empty((N, D), dtype=np.float32)
    tmiss = np.empty((N, D), dtype=np.uint8)
    for j, path in enumerate(files):
        bw = pyBigWig.open(path)
        if bw is None:
            sys.exit(f"error: cannot open {path}")
        for name, chrom, a, b, o, n in rows:
            v = read_track(bw, chrom, a, b)
            miss = ~np.isfinite(v)
            tmiss[o:o + n, j] = miss
            signal[o:o + n, j] = np.arcsinh(np.where(miss, 0.0, v)).astype(np.float32)
        bw.close()
    missing = tmiss.all(axis=1).astype(np.uint8)

    tmp = args.out + ".tmp"
    str_dt = h5py.string_dtype("utf-8")
    chunk = (max(1, min(N, args.chunk_rows)), D)
    comp = dict(compression="gzip", compression_opts=args.compression_level, shuffle=True)
    with h5py.File(tmp, "w") as f:
        f.attrs["bin_size"] = np.int64(BIN)
        f.attrs["source"] = "scripts/prepare_matrix.py"
        f.attrs["signal_dir"] = os.path.abspath(args.signal_dir)
        ds = f.create_dataset("signal", data=signal, chunks=chunk, **comp)
        ds.attrs.create("tracks", np.array(track_ids, dtype=object), dtype=str_dt)
        ds.attrs["bin_size"] = np.int64(BIN)
        ds.attrs["transform"] = "arcsinh"
        f.create_dataset("missing", data=missing, chunks=(chunk[0],), **comp)
        f.create_dataset("track_missing", data=tmiss, chunks=chunk, **comp)
        f.create_dataset("tracks", data=np.array(track_ids, dtype=object), dtype=str_dt)
        g = f.create_group("regions")
        g.create_dataset("name", data=np.array([r[0] for r in rows], dtype=object), dtype=str_dt)
        g.create_dataset("chrom", data=np.array([r[1] for r in rows], dtype=object), dtype=str_dt)
        g.create_dataset("start", data=np.array([r[2] for r in rows], dtype=np.int64))
        g.create_dataset("end", data=np.array([r[3] for r in rows], dtype=np.int64))
        g.create_dataset("row_offset", data=np.array([r[4] for r in rows], dtype=np.int64))
        g.create_dataset("n_rows", data=np.array([r[5] for r in rows], dtype=np.int64))
        g.attrs["bin_size"] = np.int64(BIN)
    os.replace(tmp, args.out)

    dt = time.time() - t0
    print(f"wrote {args.out}: /signal [{N}, {D}] from {len(rows)} region(s), "
          f"{int(missing.sum())} rows missing in every track, "
          f"{int(tmiss.sum())} missing track values, {dt:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
