// The boundary between the `epilstm` program's commands and the sessions they run: the CPU ones
// (device_cpu.cpp) and the CUDA ones (device_cuda.cu, nvcc, or device_none.cpp in a build without
// CUDA). Only the library's virtual model_session crosses it.
#pragma once

#include <epilstm/model/model_config.hpp>
#include <epilstm/train/session.hpp>

#include <memory>

namespace epilstm::cli {

/// True when this program was built with the CUDA backend.
bool cuda_compiled();
/// Usable CUDA devices (0 without a driver or a GPU, or in a build without CUDA).
int cuda_device_count();
/// make_session<cpu_device>(cfg, params) (device_cpu.cpp).
std::unique_ptr<model_session> make_cpu_session(const model_config& cfg, const float* params);
/// make_session<cuda::cuda_device>(cfg, params); throws epilstm::error when CUDA is missing.
std::unique_ptr<model_session> make_cuda_session(const model_config& cfg, const float* params);

}  // namespace epilstm::cli
