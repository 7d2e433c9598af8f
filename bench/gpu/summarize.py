#!/usr/bin/env python3
"""Table of bench.txt (run_on_gpu.sh): positions/s per B for ours and PyTorch's, ratios, targets
(embedding ≥ 10 M positions/s, training ≥ 2 M positions/s on an H100, ≥ 2x PyTorch LN)."""
import sys

rows = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
    if "mode" in kv and "pos_s" in kv:
        rows[(kv["mode"], int(kv["B"]))] = float(kv["pos_s"])
print(f"{'B':>5} {'what':>6} {'epilstm':>12} {'torch LN':>12} {'torch LSTM':>12} {'x LN':>6} {'x LSTM':>7}  target")
for B in sorted({b for _, b in rows}):
    for what, target in (("train", 2e6), ("embed", 10e6)):
        ours = rows.get((f"gpu-{what}", B))
        ln = rows.get((f"torch-gpu-ln-{what}", B))
        lstm = rows.get((f"torch-gpu-lstm-{what}", B))
        f = lambda v: f"{v:12.0f}" if v else f"{'-':>12}"
        r = lambda a, b: f"{a / b:6.2f}" if a and b else f"{'-':>6}"
        ok = ours is not None and ours >= target and (ln is None or ours >= 2 * ln)
        print(f"{B:>5} {what:>6} {f(ours)} {f(ln)} {f(lstm)} {r(ours, ln)} {r(ours, lstm):>7}  "
              f"{'met' if ok else 'NOT met'} (≥{target / 1e6:.0f}M, ≥2x LN)")
