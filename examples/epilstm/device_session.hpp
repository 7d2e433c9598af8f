// The boundary between the `epilstm` program (g++) and its CUDA part (device_cuda.cu, nvcc, or
// device_none.cpp in a build without CUDA): the library's virtual model_session only.
#pragma once

#include <epilstm/model/model_config.hpp>
#include <epilstm/train/session.hpp>

#include <memory>

namespace epilstm::cli {

/// True when this program was built with the CUDA backend.
bool cuda_compiled();
/// Usable CUDA devices (0 without a driver or a GPU, or in a build without CUDA).
int cuda_device_count();
/// make_session<cuda::cuda_device>(cfg, params); throws epilstm::error when CUDA is missing.
std::unique_ptr<model_session> make_cuda_session(const model_config& cfg, const float* params);

}  // namespace epilstm::cli
