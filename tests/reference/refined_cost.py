#!/usr/bin/python3
"""REFINED track distances and cost, written from the definition in docs/comparators.md
("REFINED placement"), independently of include/epilstm/model/refined.hpp.

    refined_cost.py IN.txt OUT.txt

IN.txt: line 1 "n T grid"; line 2 the T row-major pixels; then n lines of T values (the rows,
positions x tracks, float32 printed with 9 significant digits). OUT.txt: line 1 the cost, then the T x T track distances row by row, all
printed with repr (17 significant digits).

Definition: f_ij = Euclidean distance between columns i and j of rows (computed directly from
the differences, in float64); p_ij = Euclidean distance between the pixels (row, column) of
tracks i and j; over the pairs i < j,
    cost = sum (p_ij / ||p|| - f_ij / ||f||)^2,   ||.|| the 2-norm over the pairs,
with a zero norm giving zero normalized distances, and cost 0 for fewer than two tracks.
"""
import sys

import numpy as np


def track_distances(x):
    x = np.asarray(x, dtype=np.float64)
    t = x.shape[1]
    d = np.zeros((t, t))
    for i in range(t):
        diff = x - x[:, i:i + 1]
        d[i] = np.sqrt((diff * diff).sum(axis=0))
    return d


def refined_cost(d, grid, pixel):
    t = len(pixel)
    if t < 2:
        return 0.0
    rc = np.stack([np.asarray(pixel) // grid, np.asarray(pixel) % grid], axis=1).astype(np.float64)
    iu = np.triu_indices(t, k=1)
    p = np.sqrt(((rc[:, None, :] - rc[None, :, :]) ** 2).sum(axis=2))[iu]
    f = d[iu]
    np_, nf = np.linalg.norm(p), np.linalg.norm(f)
    pn = p / np_ if np_ > 0 else np.zeros_like(p)
    fn = f / nf if nf > 0 else np.zeros_like(f)
    return float(((pn - fn) ** 2).sum())


def main():
    with open(sys.argv[1]) as f:
        n, t, grid = (int(v) for v in f.readline().split())
        pixel = np.array([int(v) for v in f.readline().split()], dtype=np.int64)
        rows = np.array([[float(v) for v in f.readline().split()] for _ in range(n)], dtype=np.float32).reshape(n, t)
    assert pixel.shape == (t,), pixel.shape
    d = track_distances(rows)
    with open(sys.argv[2], "w") as out:
        out.write(repr(refined_cost(d, grid, pixel)) + "\n")
        for row in d:
            out.write(" ".join(repr(float(v)) for v in row) + "\n")


if __name__ == "__main__":
    main()
