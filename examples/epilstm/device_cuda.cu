// The CUDA part of the `epilstm` program: the library's session (one trainer, one inference path)
// instantiated on cuda_device for every run-time variant.
#include "device_session.hpp"

#include <epilstm/cuda.cuh>

namespace epilstm::cli {

bool cuda_compiled() { return true; }
int cuda_device_count() { return cuda::device_count(); }

std::unique_ptr<model_session> make_cuda_session(const model_config& cfg, const float* params)
{
    if (cuda::device_count() == 0)
        throw cuda::cuda_error("--device cuda: no usable CUDA GPU on this machine (no device or no driver)");
    return make_session<cuda::cuda_device>(cfg, params);
}

}  // namespace epilstm::cli
