// The CUDA backend of epilstm, for users' .cu files (nvcc; link CUDA::cublas, CUDA::cudart and the
// toolkit's CCCL, or simply epilstm::cuda). Overview and design: docs/gpu.md.
//   cuda_device   the device tag (stream, cuBLAS handle)
//   epi_lstm      the autoencoder on a device tag, same flat parameters as the CPU model
//   adam, clip_global_norm   the optimizer step and gradient clipping on the device
#pragma once

#include <epilstm/backend/cuda/cuda_device.cuh>
#include <epilstm/backend/cuda/epi_lstm.cuh>
#include <epilstm/backend/cuda/optim.cuh>
#include <epilstm/backend/cuda/variants.cuh>
