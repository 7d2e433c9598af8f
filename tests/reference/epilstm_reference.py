#!/usr/bin/python3
"""Independent PyTorch reference implementation of the Epi-LSTM model contract
(shared/docs/MODEL-SPEC.md, v1).

Written with explicit tensor ops (no nn.LSTM / nn.LayerNorm in the model itself) so that every
line can be read against the spec.  Run with /usr/bin/python3 (needs torch, numpy, h5py).

Subcommands
  reconstruct    --model M.h5 --matrix X.h5 --out Y.h5 [--dtype float64|float32]
                 same contract as `epilstm reconstruct`: /embedding [N,H], /reconstruction [N,D] float32
  make-fixtures  --out-dir tests/fixtures/parity
                 tiny random checkpoints + matrices + float64 expected values for the 4 variants
  compare        --expected E.h5 --actual A.h5 [--rtol 1e-5] [--atol 0] [--datasets ...]
                 max relative error per common dataset; exit 1 when above tolerance
  selftest       gradcheck (float64) of the frame loss for all variants, and the none/tanh variant
                 against torch.nn.LSTMCell; explicit LN against torch.nn.functional.layer_norm
"""
import argparse
import math
import os
import sys

import h5py
import numpy as np
import torch

EPS = 1e-5
GATES = 4  # i, f, g, o
ACTIVATIONS = ("softsign", "tanh")
NORMALIZATIONS = ("layer_norm", "none")
VARIANTS = [f"{a}_{n}" for n in NORMALIZATIONS for a in ACTIVATIONS]


# ----------------------------------------------------------------------------------------------
# Parameter layout (MODEL-SPEC "Parameter layout")
# ----------------------------------------------------------------------------------------------
def param_shapes(D, H, normalization):
    """Ordered list of (checkpoint dataset path without leading '/', shape)."""
    out = []
    for part, n_in in (("encoder", D), ("decoder", H)):
        out += [
            (f"{part}/W_x", (4 * H, n_in)),
            (f"{part}/b_x", (4 * H,)),
            (f"{part}/W_h", (4 * H, H)),
            (f"{part}/b_h", (4 * H,)),
        ]
        if normalization == "layer_norm":
            out += [
                (f"{part}/ln_x/gamma", (4 * H,)),
                (f"{part}/ln_x/beta", (4 * H,)),
                (f"{part}/ln_h/gamma", (4 * H,)),
                (f"{part}/ln_h/beta", (4 * H,)),
                (f"{part}/ln_c/gamma", (H,)),
                (f"{part}/ln_c/beta", (H,)),
            ]
    out += [("decoder/out/W", (D, H)), ("decoder/out/b", (D,))]
    return out


class Config:
    def __init__(self, input_size, hidden_size, frame_length, activation, normalization):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"unknown normalization {normalization!r}")
        self.D = int(input_size)
        self.H = int(hidden_size)
        self.F = int(frame_length)
        self.activation = activation
        self.normalization = normalization

    def shapes(self):
        return param_shapes(self.D, self.H, self.normalization)

    def attrs(self):
        return dict(input_size=self.D, hidden_size=self.H, frame_length=self.F,
                    activation=self.activation, normalization=self.normalization)


def _attr_str(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray):
        v = v.item() if v.size == 1 else v
        if isinstance(v, bytes):
            return v.decode()
    return str(v)


def load_checkpoint(path, dtype=torch.float64):
    with h5py.File(path, "r") as f:
        a = f.attrs
        fmt = _attr_str(a.get("format", ""))
        if fmt != "epilstm-checkpoint":
            raise ValueError(f"{path}: root attribute format={fmt!r}, expected 'epilstm-checkpoint'")
        if int(a.get("version", -1)) != 1:
            raise ValueError(f"{path}: unsupported checkpoint version {a.get('version')!r}")
        cfg = Config(int(a["input_size"]), int(a["hidden_size"]), int(a["frame_length"]),
                     _attr_str(a["activation"]), _attr_str(a["normalization"]))
        params = {}
        for name, shape in cfg.shapes():
            if name not in f:
                raise ValueError(f"{path}: missing dataset /{name}")
            ds = f[name]
            if tuple(ds.shape) != shape:
                raise ValueError(f"{path}: /{name} has shape {ds.shape}, expected {shape}")
            if ds.dtype != np.float32:
                raise ValueError(f"{path}: /{name} has type {ds.dtype}, expected float32")
            params[name] = torch.from_numpy(np.asarray(ds[...], dtype=np.float64)).to(dtype)
    return cfg, params


def save_checkpoint(path, cfg, params):
    """Write a checkpoint exactly as MODEL-SPEC lays it out (float32, row-major)."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "epilstm-checkpoint"
        f.attrs["version"] = np.int64(1)
        f.attrs["input_size"] = np.int64(cfg.D)
        f.attrs["hidden_size"] = np.int64(cfg.H)
        f.attrs["frame_length"] = np.int64(cfg.F)
        f.attrs["activation"] = cfg.activation
        f.attrs["normalization"] = cfg.normalization
        for name, shape in cfg.shapes():
            v = params[name].detach().cpu().numpy().astype(np.float32)
            assert v.shape == shape, (name, v.shape, shape)
            f.create_dataset(name, data=np.ascontiguousarray(v))


# ----------------------------------------------------------------------------------------------
# The model (MODEL-SPEC "Cell" and "Autoencoder over one frame")
# ----------------------------------------------------------------------------------------------
def phi(z, activation):
    if activation == "softsign":
        return z / (1.0 + torch.abs(z))
    return torch.tanh(z)


def layer_norm(z, gamma, beta):
    """LN over the last axis: gamma * (z - mean) / sqrt(biased var + eps) + beta."""
    mean = z.mean(dim=-1, keepdim=True)
    var = ((z - mean) ** 2).mean(dim=-1, keepdim=True)  # biased variance
    return gamma * (z - mean) / torch.sqrt(var + EPS) + beta


def cell(cfg, p, part, x, h_prev, c_prev):
    """One step of the (layer-norm) LSTM cell.  x: [..., n_in], h_prev, c_prev: [..., H].
    Returns (h, c) where c is the (normalized) cell that is carried."""
    H = cfg.H
    zx = x @ p[f"{part}/W_x"].T + p[f"{part}/b_x"]          # W x + b_x     [..., 4H]
    zh = h_prev @ p[f"{part}/W_h"].T + p[f"{part}/b_h"]     # U h_prev + b_h [..., 4H]
    if cfg.normalization == "layer_norm":
        a = (layer_norm(zx, p[f"{part}/ln_x/gamma"], p[f"{part}/ln_x/beta"])
             + layer_norm(zh, p[f"{part}/ln_h/gamma"], p[f"{part}/ln_h/beta"]))
    else:
        a = zx + zh
    a_i, a_f, a_g, a_o = a[..., 0:H], a[..., H:2 * H], a[..., 2 * H:3 * H], a[..., 3 * H:4 * H]
    i = torch.sigmoid(a_i)
    f = torch.sigmoid(a_f)
    g = phi(a_g, cfg.activation)
    o = torch.sigmoid(a_o)
    c_tilde = f * c_prev + i * g
    if cfg.normalization == "layer_norm":
        c = layer_norm(c_tilde, p[f"{part}/ln_c/gamma"], p[f"{part}/ln_c/beta"])
    else:
        c = c_tilde
    h = o * phi(c, cfg.activation)
    return h, c


def forward_frame(cfg, p, x, h_carry):
    """One frame of one stream.  x: [T, D] (T <= F), h_carry: [H] (detached by the caller).
    Returns embedding [T, H] (= h^e_t), reconstruction [T, D], and h^e_T (carry for next frame)."""
    T = x.shape[0]
    H = cfg.H
    # Encoder: h^e_0 = carried hidden, c^e_0 = 0 (cell reset every frame)
    h = h_carry
    c = torch.zeros(H, dtype=x.dtype)
    enc_h, enc_c = [], []
    for t in range(T):
        h, c = cell(cfg, p, "encoder", x[t], h, c)
        enc_h.append(h)
        enc_c.append(c)
    # Decoder: h^d_0 = h^e_T; input at t = h^e_t, c_prev at t = c^e_t
    hd = enc_h[-1]
    recon = []
    for t in range(T):
        hd, _ = cell(cfg, p, "decoder", enc_h[t], hd, enc_c[t])
        recon.append(hd @ p["decoder/out/W"].T + p["decoder/out/b"])  # x^_t = V h^d_t + v
    return torch.stack(enc_h), torch.stack(recon), enc_h[-1]


def frame_loss(x, xhat, excluded=None):
    """Mean over non-excluded positions and all D tracks of (x - x^)^2."""
    se = (x - xhat) ** 2
    if excluded is not None:
        keep = ~excluded
        se = se[keep]
    return se.mean()


def run_stream(cfg, p, X, excluded=None):
    """Whole matrix as one stream, frame by frame (truncated BPTT: carry is detached).
    Returns embedding [N,H], reconstruction [N,D], list of per-frame losses, global loss."""
    N = X.shape[0]
    h = torch.zeros(cfg.H, dtype=X.dtype)
    embs, recs, losses = [], [], []
    for s in range(0, N, cfg.F):
        xs = X[s:s + cfg.F]
        e, r, h = forward_frame(cfg, p, xs, h.detach())
        embs.append(e)
        recs.append(r)
        losses.append(frame_loss(xs, r, None if excluded is None else excluded[s:s + cfg.F]))
    emb = torch.cat(embs)
    rec = torch.cat(recs)
    glob = frame_loss(X, rec, excluded)
    return emb, rec, losses, glob


# ----------------------------------------------------------------------------------------------
# reconstruct
# ----------------------------------------------------------------------------------------------
def cmd_reconstruct(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    cfg, p = load_checkpoint(args.model, dtype)
    with h5py.File(args.matrix, "r") as f:
        if "signal" not in f:
            raise SystemExit(f"{args.matrix}: missing dataset /signal")
        ds = f["signal"]
        if ds.ndim != 2:
            raise SystemExit(f"{args.matrix}: /signal has rank {ds.ndim}, expected 2")
        if ds.shape[1] != cfg.D:
            raise SystemExit(f"{args.matrix}: /signal has {ds.shape[1]} tracks, model input_size is {cfg.D}")
        X = torch.from_numpy(np.asarray(ds[...], dtype=np.float64)).to(dtype)
    with torch.no_grad():
        emb, rec, _, _ = run_stream(cfg, p, X)
    tmp = args.out + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("embedding", data=emb.numpy().astype(np.float32))
        f.create_dataset("reconstruction", data=rec.numpy().astype(np.float32))
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: embedding {tuple(emb.shape)}, reconstruction {tuple(rec.shape)}")


# ----------------------------------------------------------------------------------------------
# make-fixtures
# ----------------------------------------------------------------------------------------------
FIX_D, FIX_H, FIX_F, FIX_N, FIX_SEED = 5, 4, 7, 17, 20240611


def random_params(cfg, gen):
    """Weights/biases ~ U(-1/sqrt(H), 1/sqrt(H)); gamma ~ U(0.5, 1.5); beta ~ U(-0.3, 0.3).
    Rounded to float32 and returned as float64 tensors (so both sides use identical weights)."""
    k = 1.0 / math.sqrt(cfg.H)
    p = {}
    for name, shape in cfg.shapes():
        if name.endswith("/gamma"):
            lo, hi = 0.5, 1.5
        elif name.endswith("/beta"):
            lo, hi = -0.3, 0.3
        else:
            lo, hi = -k, k
        v = gen.uniform(lo, hi, size=shape).astype(np.float32)
        p[name] = torch.from_numpy(v.astype(np.float64))
    return p


def random_signal(N, D, gen):
    """asinh of an exponential-ish nonnegative 'signal' with some exact zeros and a few peaks."""
    v = gen.exponential(1.0, size=(N, D))
    v[gen.random((N, D)) < 0.2] = 0.0
    v *= np.where(gen.random((N, D)) < 0.1, 20.0, 1.0)
    return np.arcsinh(v).astype(np.float32)


def frame0_loss_and_grads(cfg, p, X):
    q = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    xs = X[:cfg.F]
    _, r, _ = forward_frame(cfg, q, xs, torch.zeros(cfg.H, dtype=X.dtype))
    loss = frame_loss(xs, r)
    names = [n for n, _ in cfg.shapes()]
    grads = torch.autograd.grad(loss, [q[n] for n in names])
    return loss.detach(), dict(zip(names, grads))


def cmd_make_fixtures(args):
    os.makedirs(args.out_dir, exist_ok=True)
    for vi, variant in enumerate(VARIANTS):
        act, norm = variant.split("_", 1)
        cfg = Config(FIX_D, FIX_H, FIX_F, act, norm)
        gen = np.random.default_rng(FIX_SEED + vi)
        p = random_params(cfg, gen)
        Xf = random_signal(FIX_N, FIX_D, gen)
        X = torch.from_numpy(Xf.astype(np.float64))
        base = os.path.join(args.out_dir, variant)
        save_checkpoint(base + ".model.h5", cfg, p)
        with h5py.File(base + ".matrix.h5", "w") as f:
            f.create_dataset("signal", data=Xf)
        # sanity: re-read the checkpoint, must give the identical float64 weights
        cfg2, p2 = load_checkpoint(base + ".model.h5")
        assert all(torch.equal(p[k], p2[k]) for k in p)
        with torch.no_grad():
            emb, rec, losses, glob = run_stream(cfg, p, X)
        l0, grads = frame0_loss_and_grads(cfg, p, X)
        assert abs(l0.item() - losses[0].item()) <= 1e-15 * max(1.0, abs(l0.item()))
        with h5py.File(base + ".expected.h5", "w") as f:
            f.attrs["variant"] = variant
            f.attrs["note"] = ("float64 reference from tests/reference/epilstm_reference.py, computed "
                               "from the float32 weights in the .model.h5 and /signal in the .matrix.h5")
            f.create_dataset("embedding", data=emb.numpy())
            f.create_dataset("reconstruction", data=rec.numpy())
            f.create_dataset("frame0_loss", data=np.array([l0.item()], dtype=np.float64))
            f.create_dataset("frame_losses", data=np.array([l.item() for l in losses], dtype=np.float64))
            f.create_dataset("stream_loss", data=np.array([glob.item()], dtype=np.float64))
            for name, g in grads.items():
                f.create_dataset("grad/" + name, data=g.numpy())
        print(f"{variant}: frame0_loss={l0.item():.12g}  frames={len(losses)}  "
              f"stream_loss={glob.item():.12g}  -> {base}.{{model,matrix,expected}}.h5")


# ----------------------------------------------------------------------------------------------
# compare
# ----------------------------------------------------------------------------------------------
def _datasets(f):
    out = {}
    f.visititems(lambda n, o: out.__setitem__(n, o) if isinstance(o, h5py.Dataset) else None)
    return out


def cmd_compare(args):
    with h5py.File(args.expected, "r") as fe, h5py.File(args.actual, "r") as fa:
        de, da = _datasets(fe), _datasets(fa)
        names = args.datasets if args.datasets else sorted(set(de) & set(da))
        if not names:
            print("no common datasets", file=sys.stderr)
            return 2
        bad = False
        for n in names:
            n = n.lstrip("/")
            if n not in de or n not in da:
                print(f"{n}: MISSING in {'expected' if n not in de else 'actual'}")
                bad = True
                continue
            e = np.asarray(de[n][...], dtype=np.float64)
            a = np.asarray(da[n][...], dtype=np.float64)
            if e.size == a.size == 1:
                e, a = e.reshape(1), a.reshape(1)
            if e.shape != a.shape:
                print(f"{n}: SHAPE expected {e.shape} actual {a.shape}")
                bad = True
                continue
            err = np.abs(a - e)
            # relative error w.r.t. |expected|, with an atol floor: err <= atol + rtol*|e|
            rel = err / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
            ok = bool(np.all(err <= args.atol + args.rtol * np.abs(e))) and np.all(np.isfinite(a))
            # the scale-relative error is more informative for values near 0
            scale_rel = err.max() / max(np.abs(e).max(), np.finfo(np.float64).tiny) if e.size else 0.0
            print(f"{n:32s} shape={str(e.shape):10s} max_abs={err.max() if e.size else 0:.3e} "
                  f"max_rel={rel.max() if e.size else 0:.3e} max_rel_to_max={scale_rel:.3e} "
                  f"{'OK' if ok else 'FAIL'}")
            bad |= not ok
    print("FAIL" if bad else "PASS")
    return 1 if bad else 0


# ----------------------------------------------------------------------------------------------
# selftest
# ----------------------------------------------------------------------------------------------
def cmd_selftest(args):
    torch.manual_seed(0)
    ok_all = True

    def report(name, ok, detail):
        nonlocal ok_all
        ok_all &= bool(ok)
        print(f"[{'PASS' if ok else 'FAIL'}] {name}: {detail}")

    # 1. explicit LN == torch.nn.functional.layer_norm
    z = torch.randn(3, 16, dtype=torch.float64)
    g = torch.rand(16, dtype=torch.float64) + 0.5
    b = torch.randn(16, dtype=torch.float64)
    d = (layer_norm(z, g, b) - torch.nn.functional.layer_norm(z, (16,), g, b, eps=EPS)).abs().max().item()
    report("layer_norm vs torch.nn.functional.layer_norm", d < 1e-12, f"max abs diff {d:.2e}")

    # 2. none/tanh cell and whole autoencoder vs torch.nn.LSTMCell
    D, H, F, N = 5, 4, 7, 17
    cfg = Config(D, H, F, "tanh", "none")
    p = random_params(cfg, np.random.default_rng(1))
    X = torch.from_numpy(random_signal(N, D, np.random.default_rng(2)).astype(np.float64))
    enc = torch.nn.LSTMCell(D, H).double()
    dec = torch.nn.LSTMCell(H, H).double()
    with torch.no_grad():
        for m, part in ((enc, "encoder"), (dec, "decoder")):
            m.weight_ih.copy_(p[f"{part}/W_x"])
            m.weight_hh.copy_(p[f"{part}/W_h"])
            m.bias_ih.copy_(p[f"{part}/b_x"])
            m.bias_hh.copy_(p[f"{part}/b_h"])
        # single cell step with random state
        x1 = torch.randn(D, dtype=torch.float64)
        h1 = torch.randn(H, dtype=torch.float64)
        c1 = torch.randn(H, dtype=torch.float64)
        hr, cr = cell(cfg, p, "encoder", x1, h1, c1)
        ht, ct = enc(x1[None], (h1[None], c1[None]))
        d = max((hr - ht[0]).abs().max().item(), (cr - ct[0]).abs().max().item())
        report("none/tanh cell step vs nn.LSTMCell", d < 1e-13, f"max abs diff {d:.2e}")
        # full stream with nn.LSTMCell building blocks, same wiring
        hc = torch.zeros(1, H, dtype=torch.float64)
        embs, recs = [], []
        for s in range(0, N, F):
            xs = X[s:s + F]
            h, c = hc, torch.zeros(1, H, dtype=torch.float64)
            eh, ec = [], []
            for t in range(xs.shape[0]):
                h, c = enc(xs[t:t + 1], (h, c))
                eh.append(h)
                ec.append(c)
            hd = eh[-1]
            for t in range(xs.shape[0]):
                hd, _ = dec(eh[t], (hd, ec[t]))
                recs.append(hd @ p["decoder/out/W"].T + p["decoder/out/b"])
            embs += eh
            hc = eh[-1]
        emb_t, rec_t = torch.cat(embs), torch.cat(recs)
        emb, rec, _, _ = run_stream(cfg, p, X)
        d = max((emb - emb_t).abs().max().item(), (rec - rec_t).abs().max().item())
        report("none/tanh autoencoder stream (N=17, F=7) vs nn.LSTMCell", d < 1e-13, f"max abs diff {d:.2e}")
        # encoder alone also equals nn.LSTM per frame with (h0 = carry, c0 = 0)
        lstm = torch.nn.LSTM(D, H).double()
        lstm.weight_ih_l0.copy_(enc.weight_ih); lstm.weight_hh_l0.copy_(enc.weight_hh)
        lstm.bias_ih_l0.copy_(enc.bias_ih); lstm.bias_hh_l0.copy_(enc.bias_hh)
        hc = torch.zeros(1, 1, H, dtype=torch.float64)
        outs = []
        for s in range(0, N, F):
            o, (hc, _) = lstm(X[s:s + F, None, :], (hc, torch.zeros(1, 1, H, dtype=torch.float64)))
            outs.append(o[:, 0])
        d = (torch.cat(outs) - emb).abs().max().item()
        report("none/tanh encoder embedding vs nn.LSTM per frame (c0 reset)", d < 1e-13, f"max abs diff {d:.2e}")

    # 3. gradcheck of the frame loss w.r.t. all parameters and the input, all 4 variants
    for vi, variant in enumerate(VARIANTS):
        act, norm = variant.split("_", 1)
        cfg = Config(3, 2, 4, act, norm)
        p = random_params(cfg, np.random.default_rng(10 + vi))
        names = [n for n, _ in cfg.shapes()]
        X = torch.from_numpy(random_signal(6, 3, np.random.default_rng(20 + vi)).astype(np.float64))
        h0 = torch.from_numpy(np.random.default_rng(30 + vi).uniform(-0.5, 0.5, 2))

        def f(*tensors):
            q = dict(zip(names, tensors[:-2]))
            x, hc = tensors[-2], tensors[-1]
            _, r, _ = forward_frame(cfg, q, x, hc)
            return frame_loss(x, r)

        inputs = tuple(p[n].clone().requires_grad_(True) for n in names) + (
            X[:4].clone().requires_grad_(True), h0.clone().requires_grad_(True))
        ok = torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=False)
        report(f"gradcheck frame loss ({variant}, {len(names)} params + x + h_carry)", ok, "float64")

        # short last frame + stream: gradient of the 2nd frame must not flow to frame 1's inputs
        def g2(x):
            _, _, losses, _ = run_stream(cfg, p, x)
            return losses[1]
        x = X.clone().requires_grad_(True)
        gx = torch.autograd.grad(g2(x), x)[0]
        ok = bool(torch.all(gx[:4] == 0)) and bool(torch.any(gx[4:] != 0))
        report(f"truncated BPTT: frame-1 loss has zero grad on frame-0 inputs ({variant})", ok,
               f"|grad frame0 rows|={gx[:4].abs().max().item():.1e}")

    # 4. fixtures (if present) reproduce
    fx = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "parity")
    if os.path.isdir(fx):
        for variant in VARIANTS:
            base = os.path.join(fx, variant)
            if not os.path.exists(base + ".expected.h5"):
                continue
            cfg, p = load_checkpoint(base + ".model.h5")
            with h5py.File(base + ".matrix.h5", "r") as fm:
                X = torch.from_numpy(fm["signal"][...].astype(np.float64))
            with torch.no_grad():
                emb, rec, _, _ = run_stream(cfg, p, X)
            l0, grads = frame0_loss_and_grads(cfg, p, X)
            with h5py.File(base + ".expected.h5", "r") as fe:
                d = max(np.abs(emb.numpy() - fe["embedding"][...]).max(),
                        np.abs(rec.numpy() - fe["reconstruction"][...]).max(),
                        abs(l0.item() - float(fe["frame0_loss"][0])),
                        max(np.abs(g.numpy() - fe["grad/" + n][...]).max() for n, g in grads.items()))
            report(f"fixture {variant} reproduces", d == 0.0, f"max abs diff {d:.1e}")

    print("SELFTEST", "PASSED" if ok_all else "FAILED")
    return 0 if ok_all else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reconstruct", help="epilstm reconstruct, reference version")
    r.add_argument("--model", required=True)
    r.add_argument("--matrix", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="compute precision (output is always float32)")
    m = sub.add_parser("make-fixtures", help="write the parity fixtures")
    m.add_argument("--out-dir", required=True)
    c = sub.add_parser("compare", help="compare two HDF5 files dataset by dataset")
    c.add_argument("--expected", required=True)
    c.add_argument("--actual", required=True)
    c.add_argument("--rtol", type=float, default=1e-5)
    c.add_argument("--atol", type=float, default=0.0)
    c.add_argument("--datasets", nargs="*", help="dataset paths to compare (default: all common)")
    sub.add_parser("selftest", help="gradcheck + nn.LSTMCell cross-checks")
    args = ap.parse_args(argv)
    if args.cmd == "reconstruct":
        return cmd_reconstruct(args) or 0
    if args.cmd == "make-fixtures":
        return cmd_make_fixtures(args) or 0
    if args.cmd == "compare":
        return cmd_compare(args)
    return cmd_selftest(args)


if __name__ == "__main__":
    sys.exit(main())
