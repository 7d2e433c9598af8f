#!/usr/bin/env python3
"""PyTorch-on-the-same-GPU anchors for bench/gpu/run_on_gpu.sh.

  torch_gpu_bench.py ln-train|ln-embed|lstm-train|lstm-embed D H F B [seconds]

The models are bench/torch_bench.py's (imported from there, so CPU and GPU anchors are the same
code): ln-* the paper's layer-norm softsign cell with paper wiring (a Python loop over positions,
one matmul per frame for the input projections), lstm-* torch.nn.LSTM encoder/decoder (cuDNN).
train = forward + MSE + backward + clip_grad_norm_(1.0) + Adam; embed = encoder under
inference_mode. float32; TF32 matmuls are switched off so the arithmetic matches ours (cuBLAS
default FP32). Timed with torch.cuda.synchronize(); prints one key=value line.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import make_step, time_steps  # noqa: E402


def main():
    mode, D, H, F, B = sys.argv[1], *map(int, sys.argv[2:6])
    budget = float(sys.argv[6]) if len(sys.argv) > 6 else 3.0
    if not torch.cuda.is_available():
        print("torch_gpu_bench: no CUDA device visible to PyTorch; skipping", file=sys.stderr)
        sys.exit(77)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    ts = time_steps(make_step(mode, D, H, F, B, torch.device("cuda")), budget, torch.cuda.synchronize, warmup=3)
    n = F * B
    print(f"mode=torch-gpu-{mode} gpu={torch.cuda.get_device_name(0).replace(' ', '_')} torch={torch.__version__} "
          f"D={D} H={H} F={F} B={B} pos_s={n / ts[len(ts) // 2]:.0f} best_pos_s={n / ts[0]:.0f} "
          f"step_ms={1e3 * ts[len(ts) // 2]:.3f} steps={len(ts)}")


if __name__ == "__main__":
    main()
