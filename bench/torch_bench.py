#!/usr/bin/python3
"""PyTorch anchors for bench/compare.sh (run with Debian's /usr/bin/python3, torch 1.13 CPU).

  torch_bench.py ln-train|ln-embed|lstm-train|lstm-embed D H F B TORCH_THREADS [seconds]

ln-*   : the Epi-LSTM layer-norm softsign cell and paper wiring of MODEL-SPEC.md, written the way a
         careful PyTorch user would: one matmul for each frame's input projections (encoder and
         decoder), F.layer_norm, a Python loop over positions only for the recurrence.
lstm-* : torch.nn.LSTM(D→H) encoder, nn.LSTM(H→H) decoder started from the encoder's last (h, c),
         nn.Linear(H→D) output: the fused, simpler anchor (not the same model).
train  : forward + MSE loss + backward + clip_grad_norm_(1.0) + Adam(lr 1e-3), like ours.
embed  : encoder forward only, under torch.inference_mode().
Thread settings come from the caller: OPENBLAS_NUM_THREADS / OPENBLAS_CORETYPE in the environment
and TORCH_THREADS here (torch.set_num_threads). Prints one key=value line.
"""
import sys
import time

import torch
import torch.nn.functional as Fn

EPS = 1e-5


def softsign(z):
    return z / (1.0 + z.abs())


class LNCellLayer(torch.nn.Module):
    """One layer-norm LSTM layer (MODEL-SPEC "Cell"); runs a whole frame [F, B, I]."""

    def __init__(self, I, H):
        super().__init__()
        k = 1.0 / H ** 0.5
        self.H = H
        self.W_x = torch.nn.Parameter(torch.empty(4 * H, I).uniform_(-k, k))
        self.b_x = torch.nn.Parameter(torch.empty(4 * H).uniform_(-k, k))
        self.W_h = torch.nn.Parameter(torch.empty(4 * H, H).uniform_(-k, k))
        self.b_h = torch.nn.Parameter(torch.empty(4 * H).uniform_(-k, k))
        self.gx, self.bx = torch.nn.Parameter(torch.ones(4 * H)), torch.nn.Parameter(torch.zeros(4 * H))
        self.gh, self.bh = torch.nn.Parameter(torch.ones(4 * H)), torch.nn.Parameter(torch.zeros(4 * H))
        self.gc, self.bc = torch.nn.Parameter(torch.ones(H)), torch.nn.Parameter(torch.zeros(H))

    def forward(self, x, h, c=None, c_ext=None):
        """x [F, B, I]; h [B, H]; c [B, H] carried, or c_ext [F, B, H] (paper decoder)."""
        H = self.H
        ax = Fn.layer_norm(torch.addmm(self.b_x, x.reshape(-1, x.shape[-1]), self.W_x.t()), (4 * H,), self.gx,
                           self.bx, EPS).view(x.shape[0], x.shape[1], 4 * H)
        hs, cs = [], []
        # unbind, not ax[t]: indexing's backward would materialise a zero [F, B, 4H] per position.
        ax_t = ax.unbind(0)
        c_ext_t = c_ext.unbind(0) if c_ext is not None else None
        for t in range(x.shape[0]):
            a = ax_t[t] + Fn.layer_norm(torch.addmm(self.b_h, h, self.W_h.t()), (4 * H,), self.gh, self.bh, EPS)
            i, f, g, o = a.chunk(4, dim=1)
            c_prev = c if c_ext is None else c_ext_t[t]
            c = Fn.layer_norm(torch.sigmoid(f) * c_prev + torch.sigmoid(i) * softsign(g), (H,), self.gc, self.bc, EPS)
            h = torch.sigmoid(o) * softsign(c)
            hs.append(h)
            cs.append(c)
        return torch.stack(hs), torch.stack(cs)


class LNAutoencoder(torch.nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.enc, self.dec, self.out = LNCellLayer(D, H), LNCellLayer(H, H), torch.nn.Linear(H, D)

    def encode(self, x, h0):
        return self.enc(x, h0, c=torch.zeros_like(h0))

    def forward(self, x, h0):
        eh, ec = self.encode(x, h0)
        dh, _ = self.dec(eh, eh[-1], c_ext=ec)  # h^d_0 = h^e_F, c_prev = c^e_t
        return self.out(dh), eh[-1]


class LSTMAutoencoder(torch.nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.enc, self.dec, self.out = torch.nn.LSTM(D, H), torch.nn.LSTM(H, H), torch.nn.Linear(H, D)

    def encode(self, x, h0):
        return self.enc(x, (h0.unsqueeze(0), torch.zeros_like(h0).unsqueeze(0)))

    def forward(self, x, h0):
        eh, (hF, cF) = self.encode(x, h0)
        dh, _ = self.dec(eh, (hF, cF))
        return self.out(dh), hF[0]


def make_step(mode, D, H, F, B, device="cpu"):
    """One timed step of `mode` (ln-train|ln-embed|lstm-train|lstm-embed) on random input [F, B, D],
    the hidden carried from step to step; shared with bench/gpu/torch_gpu_bench.py."""
    torch.manual_seed(0)
    kind, what = mode.split("-")
    model = (LNAutoencoder(D, H) if kind == "ln" else LSTMAutoencoder(D, H)).to(device)
    x = torch.rand(F, B, D, device=device) * 3.0
    h = torch.zeros(B, H, device=device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        nonlocal h
        opt.zero_grad(set_to_none=True)
        xhat, hF = model(x, h)
        loss = Fn.mse_loss(xhat, x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        h = hF.detach()

    def embed_step():
        nonlocal h
        with torch.inference_mode():
            eh, state = model.encode(x, h)
            h = eh[-1] if kind == "ln" else state[0][0]

    return train_step if what == "train" else embed_step


def time_steps(step, budget, sync=lambda: None, warmup=2):
    """Step times (seconds, sorted): `warmup` untimed steps, then at least 3 and up to 1000 steps
    within `budget` seconds; `sync` waits for the device after each step."""
    for _ in range(warmup):
        step()
    sync()
    ts = []
    start = time.perf_counter()
    while len(ts) < 3 or (time.perf_counter() - start < budget and len(ts) < 1000):
        t0 = time.perf_counter()
        step()
        sync()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)


def main():
    mode, D, H, F, B, threads = sys.argv[1], *map(int, sys.argv[2:7])
    budget = float(sys.argv[7]) if len(sys.argv) > 7 else 3.0
    torch.set_num_threads(threads)
    ts = time_steps(make_step(mode, D, H, F, B), budget)
    n = F * B
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"mode=torch-{mode} D={D} H={H} F={F} B={B} torch_threads={threads} pos_s={n / ts[len(ts) // 2]:.0f} "
          f"best_pos_s={n / ts[0]:.0f} steps={len(ts)} peak_rss_mib={rss:.1f}")


if __name__ == "__main__":
    main()
