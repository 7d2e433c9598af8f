#!/usr/bin/python3
"""Turns the raw lines of bench/compare.sh into a markdown table (see compare.sh for the settings)."""
import sys
from collections import defaultdict


def parse(line):
    parts = line.split()
    tag, key = parts[0], tuple(int(p) for p in parts[1:5])
    kv = dict(p.split("=", 1) for p in parts[5:] if "=" in p)
    return tag, key, kv


rows = defaultdict(lambda: defaultdict(dict))
for line in open(sys.argv[1]):
    if line.startswith("#") or "mode=" not in line:
        continue
    tag, key, kv = parse(line)
    rows[key][(tag, kv["mode"])] = kv


def best(entries, field="pos_s"):
    """(value, label, kv) of the entry with the highest field."""
    cand = [(float(kv[field]), tag, kv) for (tag, _), kv in entries if field in kv]
    return max(cand, key=lambda c: c[0]) if cand else (float("nan"), "-", {})


def fmt_k(v):
    return f"{v / 1000:.1f}k"


hdr = ("| D | H | B | thr | train ours | (gemm) | torch LN | torch nn.LSTM | ours/LN | ours/LSTM | GF/s | ceiling GF/s | % ceil "
       "| embed ours | torch LN | torch LSTM | ours/LN | GF/s | ceiling | % ceil | RSS train/embed MiB |")
print(hdr)
print("|" + "---|" * hdr.count("|")[:-1] if False else "|" + "---|" * (hdr.count("|") - 1))
for key in sorted(rows, key=lambda k: (k[0], k[1], k[2], k[3])):
    r = rows[key]
    D, H, B, t = key

    def pick(prefix, mode):
        return [((tag, m), kv) for (tag, m), kv in r.items() if tag.startswith(prefix) and m == mode]

    tr = best(pick("ours", "train"))
    em = best(pick("ours", "embed"))
    ceil_t = best(pick("ours", "sgemm"), "train_ceiling_gflops")
    ceil_e = best(pick("ours", "sgemm"), "embed_ceiling_gflops")
    ln_t, lstm_t = best(pick("torch", "torch-ln-train")), best(pick("torch", "torch-lstm-train"))
    ln_e, lstm_e = best(pick("torch", "torch-ln-embed")), best(pick("torch", "torch-lstm-embed"))
    gt, ge = float(tr[2].get("gflops", "nan")), float(em[2].get("gflops", "nan"))
    print(f"| {D} | {H} | {B} | {t} | {fmt_k(tr[0])} | {tr[1].split('-')[-1]} | {fmt_k(ln_t[0])} | {fmt_k(lstm_t[0])} "
          f"| {tr[0] / ln_t[0]:.2f} | {tr[0] / lstm_t[0]:.2f} | {gt:.0f} | {ceil_t[0]:.0f} | {100 * gt / ceil_t[0]:.0f}% "
          f"| {fmt_k(em[0])} | {fmt_k(ln_e[0])} | {fmt_k(lstm_e[0])} | {em[0] / ln_e[0]:.2f} | {ge:.0f} | {ceil_e[0]:.0f} "
          f"| {100 * ge / ceil_e[0]:.0f}% | {tr[2].get('peak_rss_mib', '?')}/{em[2].get('peak_rss_mib', '?')} |")

# Whole-genome embedding projection (hg38 ≈ 3.1e9 bp at 25 bp = 124 M positions) from measured positions/s.
print()
print("| D | H | B | threads | embed pos/s (ours) | projected whole genome at 25 bp |")
print("|---|---|---|---|---|---|")
for key in sorted(rows):
    D, H, B, t = key
    if D != 1014 or H != 110:
        continue
    r = rows[key]
    em = max((float(kv["pos_s"]) for (tag, m), kv in r.items() if tag.startswith("ours") and m == "embed"), default=0)
    if em > 0:
        print(f"| {D} | {H} | {B} | {t} | {em / 1000:.1f}k | {3.1e9 / 25 / em / 60:.1f} min |")
