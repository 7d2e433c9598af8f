// The CUDA part of the `epilstm` program in a build without nvcc: --device cuda reports why not.
#include "device_session.hpp"

#include <epilstm/error.hpp>

namespace epilstm::cli {

bool cuda_compiled() { return false; }
int cuda_device_count() { return 0; }
std::unique_ptr<model_session> make_cuda_session(const model_config&, const float*)
{
    throw input_error("--device cuda: this epilstm was built without CUDA (configure with nvcc available, "
                      "see docs/gpu.md)");
}

}  // namespace epilstm::cli
