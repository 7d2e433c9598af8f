#!/usr/bin/python3
"""PyTorch anchor for bench/avocado_compare.sh (Debian's /usr/bin/python3, torch 1.13 CPU).

  avocado_torch_bench.py dense|lazy C A N L B SECONDS TORCH_THREADS [POSITIONS]

The Avocado model of COMPARATORS-SPEC (the paper's widths: Fc 32, Fa 256, F25 25, F250 40, F5k 45;
N units in L hidden ReLU layers, one linear output) in torch.nn: nn.Embedding for Ct, As, G25, G250,
G5k, concatenated in the spec's order, nn.Linear layers, MSE loss on B random (position, track)
pairs of one region of POSITIONS (default 20000) positions.
  dense: one torch.optim.Adam over everything (what Keras' Adam does in avocado/model.py: every
         factor row's moments decay and every row moves each step);
  lazy : sparse embeddings + torch.optim.SparseAdam for the factors, Adam for the network (the
         algorithm of train/avocado_trainer.hpp, except SparseAdam's global step count).
One warm-up step, then steps until SECONDS have passed. Prints one key=value line.
"""
import sys
import time

import torch

mode = sys.argv[1]
C, A, N, L, B = (int(x) for x in sys.argv[2:7])
seconds = float(sys.argv[7])
torch.set_num_threads(int(sys.argv[8]))
n = int(sys.argv[9]) if len(sys.argv) > 9 else 20000
Fc, Fa, F25, F250, F5k = 32, 256, 25, 40, 45
sparse = mode == "lazy"
torch.manual_seed(1)


def embedding(rows, width):
    e = torch.nn.Embedding(rows, width, sparse=sparse)
    torch.nn.init.uniform_(e.weight, -0.05, 0.05)
    return e


class Avocado(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ct, self.assay = embedding(C, Fc), embedding(A, Fa)
        self.g25, self.g250, self.g5k = embedding(n, F25), embedding((n - 1) // 10 + 1, F250), embedding((n - 1) // 200 + 1, F5k)
        layers, width = [], Fc + Fa + F25 + F250 + F5k
        for _ in range(L):
            layers += [torch.nn.Linear(width, N), torch.nn.ReLU()]
            width = N
        layers.append(torch.nn.Linear(width, 1))
        self.net = torch.nn.Sequential(*layers)

    def forward(self, c, a, i):
        z = torch.cat([self.ct(c), self.assay(a), self.g25(i), self.g250(i // 10), self.g5k(i // 200)], dim=1)
        return self.net(z).squeeze(1)


model = Avocado()
signal = torch.rand(n, C * A) * 3
if sparse:
    factors = [p for name, p in model.named_parameters() if not name.startswith("net.")]
    opts = [torch.optim.Adam(model.net.parameters(), lr=1e-3), torch.optim.SparseAdam(factors, lr=1e-3)]
else:
    opts = [torch.optim.Adam(model.parameters(), lr=1e-3)]


def step():
    pos = torch.randint(0, n, (B,))
    track = torch.randint(0, C * A, (B,))
    y = model(track // A, track % A, pos)
    loss = torch.nn.functional.mse_loss(y, signal[pos, track])
    for o in opts:
        o.zero_grad(set_to_none=True)
    loss.backward()
    for o in opts:
        o.step()
    return loss.item()


step()
t0 = time.perf_counter()
steps, loss = 0, 0.0
while True:
    loss = step()
    steps += 1
    elapsed = time.perf_counter() - t0
    if elapsed >= seconds:
        break
print(f"impl=torch-{mode} C={C} A={A} N={N} L={L} B={B} steps={steps} seconds={elapsed:.3f} "
      f"positions_per_s={steps * B / elapsed:.1f} loss={loss:.4f}")
