// --device cpu|cuda|auto for train, embed and reconstruct. The run-time choice becomes a session in
// exactly one place (open_session): the library's model_session on the CPU, or the same session
// type made on the GPU by device_cuda.cu. The commands are written once against model_session.
#pragma once

#include "common.hpp"
#include "device_session.hpp"

#include <memory>

namespace epilstm::cli {

inline void add_device_option(CLI::App* c, std::string& device)
{
    c->add_option("--device", device,
                  "where the model runs: cpu | cuda | auto (cuda when this build has CUDA and a GPU is present)")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
        ->capture_default_str();
}

/// A session of the model `cfg` with host parameters `params` on --device; `cuda` on a build or
/// machine without CUDA is an epilstm::error naming the reason.
inline std::unique_ptr<model_session> open_session(const std::string& device, const model_config& cfg,
                                                   const float* params)
{
    bool cuda = false;
    if (device == "cuda") {
        if (!cuda_compiled())
            throw input_error("--device cuda: this epilstm was built without CUDA (configure with nvcc available; "
                              "see docs/gpu.md)");
        if (cuda_device_count() == 0)
            throw input_error("--device cuda: no usable CUDA GPU on this machine (no device or no driver)");
        cuda = true;
    } else if (device == "auto") {
        cuda = cuda_compiled() && cuda_device_count() > 0;
    } else if (device != "cpu") {
        throw input_error("--device: '" + device + "' is not one of cpu, cuda, auto");
    }
    if (cuda) return make_cuda_session(cfg, params);
    return make_cpu_session(cfg, params);
}

/// A session for a model held on the host (its configuration and parameters).
template <class Model> std::unique_ptr<model_session> open_session(const std::string& device, const Model& model)
{
    return open_session(device, model.config(), model.parameters().data());
}

}  // namespace epilstm::cli
