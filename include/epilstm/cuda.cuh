// The CUDA backend of epilstm, for users' .cu files (nvcc; link CUDA::cublas, CUDA::cudart and the
// toolkit's CCCL, or simply epilstm::cuda). Overview and design: docs/gpu.md.
//   cuda::cuda_device      the device tag (stream, cuBLAS handle)
//   epi_lstm<..., T, cuda::cuda_device>   the one model definition, on the GPU
//   adam, clip_global_norm, trainer, run_region, make_session   the same optimizer, trainer and
//                          inference path as on the CPU
#pragma once

#include <epilstm/backend/cuda/cuda_device.cuh>
#include <epilstm/model/autoencoder.hpp>
#include <epilstm/model/dispatch.hpp>
#include <epilstm/model/inference.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>
#include <epilstm/train/session.hpp>
#include <epilstm/train/trainer.hpp>
