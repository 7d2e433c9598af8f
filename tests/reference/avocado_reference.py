#!/usr/bin/python3
"""Independent PyTorch reference of the Avocado comparator contract
(shared/docs/COMPARATORS-SPEC.md, section "Avocado"), written from the spec alone.

Run with /usr/bin/python3 (needs torch, numpy, h5py).

Subcommands
  reconstruct   --model A.h5 --region NAME --out Y.h5 [--dtype float64|float32]
                the contract of `epilstm reconstruct --model A.h5 --region NAME`: /embedding
                [n, F25+F250+F5k] and /reconstruction [n, T] (column t = track t of /tracks/id)
  make-fixture  --out-dir tests/fixtures/avocado
                a random tiny checkpoint (avocado.model.h5) and, computed from it in float64,
                avocado.expected.h5 with /regions/<name>/embedding and /regions/<name>/reconstruction
  check         --dir tests/fixtures/avocado
                recomputes the expected values from the committed checkpoint; exit 1 on a difference
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

FORMAT = "avocado-checkpoint"
VERSION = 1


# ----------------------------------------------------------------------------------------------
# Reading a checkpoint (COMPARATORS-SPEC "Checkpoint")
# ----------------------------------------------------------------------------------------------
def strings(ds):
    return [s.decode("utf-8") if isinstance(s, bytes) else str(s) for s in ds[()]]


def load(path, dtype=torch.float64):
    """Everything the forward needs, as torch tensors of `dtype` (values exactly as stored)."""
    with h5py.File(path, "r") as f:
        fmt = f.attrs["format"]
        fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
        if fmt != FORMAT or int(f.attrs["version"]) != VERSION:
            raise SystemExit(f"{path}: not an {FORMAT} version {VERSION}")
        t = lambda name: torch.from_numpy(np.asarray(f[name][()], dtype=np.float32)).to(dtype)
        celltypes, assays = strings(f["celltypes"]), strings(f["assays"])
        assert celltypes == sorted(celltypes, key=lambda s: s.encode()) and assays == sorted(assays, key=lambda s: s.encode())
        track_c = [celltypes.index(c) for c in strings(f["tracks/cell_type"])]
        track_a = [assays.index(a) for a in strings(f["tracks/assay"])]
        m = {
            "track_ids": strings(f["tracks/id"]),
            "track_c": track_c,
            "track_a": track_a,
            "Ct": t("celltype_factors"),
            "As": t("assay_factors"),
            "dense": [],
            "regions": {},
        }
        k = 0
        while f"dense/{k}" in f:
            m["dense"].append((t(f"dense/{k}/W"), t(f"dense/{k}/b")))
            k += 1
        m["out"] = (t("out/W"), t("out/b"))
        for name, g in f["regions"].items():
            m["regions"][name] = (t(f"regions/{name}/genome_25"), t(f"regions/{name}/genome_250"),
                                  t(f"regions/{name}/genome_5k"))
    return m


# ----------------------------------------------------------------------------------------------
# The forward of the spec, for every track and every position of one region
# ----------------------------------------------------------------------------------------------
def embedding(m, region):
    """[G25[i], G250[i // 10], G5k[i // 200]] for i = 0..n-1: [n, F25+F250+F5k]."""
    g25, g250, g5k = m["regions"][region]
    n = g25.shape[0]
    i = torch.arange(n)
    return torch.cat([g25[i], g250[i // 10], g5k[i // 200]], dim=1)


def reconstruction(m, region):
    """y for track t = (c, a) at position i, [n, T]."""
    e = embedding(m, region)
    n, T = e.shape[0], len(m["track_ids"])
    cols = []
    for t in range(T):
        ct = m["Ct"][m["track_c"][t]].expand(n, -1)
        a = m["As"][m["track_a"][t]].expand(n, -1)
        x = torch.cat([ct, a, e], dim=1)  # z, one row per position
        for W, b in m["dense"]:
            x = torch.relu(x @ W.T + b)  # W is [out, in]
        W, b = m["out"]
        cols.append((x @ W.T + b)[:, 0])
    return torch.stack(cols, dim=1)


def cmd_reconstruct(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    m = load(args.model, dtype)
    if args.region not in m["regions"]:
        raise SystemExit(f"{args.model}: no region '{args.region}' under /regions")
    with h5py.File(args.out, "w") as f:
        f["embedding"] = embedding(m, args.region).numpy().astype(np.float32)
        f["reconstruction"] = reconstruction(m, args.region).numpy().astype(np.float32)


# ----------------------------------------------------------------------------------------------
# The fixture
# ----------------------------------------------------------------------------------------------
FIXTURE_SEED = 20250112
# The store's track order is deliberately not sorted, and one (cell type, assay) pair is absent.
FIXTURE_TRACKS = [("E017-H3K4me3", "E017", "H3K4me3"), ("E003-H3K27me3", "E003", "H3K27me3"),
                  ("E003-H3K4me3", "E003", "H3K4me3"), ("E017-H3K9me3", "E017", "H3K9me3"),
                  ("E003-H3K9me3", "E003", "H3K9me3")]
FC, FA, F25, F250, F5K, LAYERS, UNITS = 3, 4, 3, 2, 2, 2, 8
# (name, chrom, start, n, m10, m200): chr1_pilot has Avocado's own row counts (n//10+1, n//200+1),
# one more than the spec's minimum; chr2_small has exactly the minimum.
FIXTURE_REGIONS = [("chr1_pilot", "chr1", 100000, 420, 420 // 10 + 1, 420 // 200 + 1),
                   ("chr2_small", "chr2", 5000, 37, (37 - 1) // 10 + 1, (37 - 1) // 200 + 1)]


def make_fixture(out_dir):
    rng = np.random.default_rng(FIXTURE_SEED)
    u = lambda lo, hi, shape: rng.uniform(lo, hi, size=shape).astype(np.float32)
    os.makedirs(out_dir, exist_ok=True)
    model = os.path.join(out_dir, "avocado.model.h5")
    celltypes = sorted({c for _, c, _ in FIXTURE_TRACKS}, key=str.encode)
    assays = sorted({a for _, _, a in FIXTURE_TRACKS}, key=str.encode)
    sdt = h5py.string_dtype("utf-8")
    with h5py.File(model, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = np.int64(VERSION)
        f.create_dataset("tracks/id", data=[t for t, _, _ in FIXTURE_TRACKS], dtype=sdt)
        f.create_dataset("tracks/cell_type", data=[c for _, c, _ in FIXTURE_TRACKS], dtype=sdt)
        f.create_dataset("tracks/assay", data=[a for _, _, a in FIXTURE_TRACKS], dtype=sdt)
        f.create_dataset("celltypes", data=celltypes, dtype=sdt)
        f.create_dataset("assays", data=assays, dtype=sdt)
        f["celltype_factors"] = u(-0.5, 0.5, (len(celltypes), FC))
        f["assay_factors"] = u(-0.5, 0.5, (len(assays), FA))
        for name, chrom, start, n, m10, m200 in FIXTURE_REGIONS:
            g = f.create_group(f"regions/{name}")
            g.attrs["chrom"] = chrom
            g.attrs["start"] = np.int64(start)
            g.attrs["end"] = np.int64(start + 25 * n)
            g["genome_25"] = u(-0.5, 0.5, (n, F25))
            g["genome_250"] = u(-0.5, 0.5, (m10, F250))
            g["genome_5k"] = u(-0.5, 0.5, (m200, F5K))
        n_in = FC + FA + F25 + F250 + F5K
        for k in range(LAYERS):
            lim = np.sqrt(6.0 / (n_in + UNITS))
            f[f"dense/{k}/W"] = u(-lim, lim, (UNITS, n_in))
            f[f"dense/{k}/b"] = u(-0.1, 0.1, (UNITS,))
            n_in = UNITS
        f["out/W"] = u(-1.0, 1.0, (1, n_in))
        f["out/b"] = u(-0.1, 0.1, (1,))
    write_expected(model, os.path.join(out_dir, "avocado.expected.h5"))


def write_expected(model, out):
    m = load(model, torch.float64)
    with h5py.File(out, "w") as f:
        for name in m["regions"]:
            f[f"regions/{name}/embedding"] = embedding(m, name).numpy()
            f[f"regions/{name}/reconstruction"] = reconstruction(m, name).numpy()


def cmd_check(args):
    model = os.path.join(args.dir, "avocado.model.h5")
    m = load(model, torch.float64)
    bad = 0
    with h5py.File(os.path.join(args.dir, "avocado.expected.h5"), "r") as f:
        for name in m["regions"]:
            rec = reconstruction(m, name).numpy()
            want = f[f"regions/{name}/reconstruction"][()]
            err = np.abs(rec - want).max()
            print(f"{name}: reconstruction {rec.shape}, max |diff| {err:.3g}, range [{rec.min():.3f}, {rec.max():.3f}]")
            bad += err > 1e-12
    sys.exit(1 if bad else 0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reconstruct")
    r.add_argument("--model", required=True)
    r.add_argument("--region", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    mf = sub.add_parser("make-fixture")
    mf.add_argument("--out-dir", required=True)
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True)
    args = p.parse_args()
    if args.cmd == "reconstruct":
        cmd_reconstruct(args)
    elif args.cmd == "make-fixture":
        make_fixture(args.out_dir)
    else:
        cmd_check(args)


if __name__ == "__main__":
    main()
