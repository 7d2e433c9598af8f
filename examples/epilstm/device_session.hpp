// The boundary between the `epilstm` program (g++, Eigen) and its CUDA part (device_cuda.cu, nvcc):
// plain pointers and a virtual interface only, so no Eigen object crosses into nvcc code.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/model/model_config.hpp>

#include <memory>
#include <string>

namespace epilstm::cli {

/// One frame batch in host memory (the fields of frame_batch<float>).
struct gpu_frame {
    index_t positions = 0, batch = 0;
    const float* x = nullptr;        ///< [D, F·B] column-major
    const float* weight = nullptr;   ///< [F·B] or null
    const float* h0 = nullptr;       ///< [H, B] or null
    const index_t* lengths = nullptr;  ///< [B]
};

struct gpu_adam {
    double learning_rate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

/// A model, its workspace, gradient and Adam state on the GPU.
class gpu_session {
public:
    virtual ~gpu_session() = default;
    virtual std::string device_name() const = 0;
    virtual index_t parameter_count() const = 0;
    virtual void set_parameters(const float* host) = 0;
    virtual void get_parameters(float* host) const = 0;
    /// Adam state from the host (m, v null: zeros).
    virtual void set_optimizer(const float* m, const float* v, long steps) = 0;
    /// Adam moments to the host; returns the step count.
    virtual long get_optimizer(float* m, float* v) const = 0;
    /// One frame: forward (encode only when neither training nor reconstructing); when training
    /// also backward, clipping (clip > 0) and an Adam step, all on the device. Copies back the
    /// carry [H, B] and, when not null, the embedding [E, F·B] and reconstruction [D, F·B].
    /// Returns the frame's loss (0 when only encoding) and its loss weight in weight_sum.
    virtual double step(const gpu_frame& f, bool train, bool reconstruct, double clip, float* carry, float* embedding,
                        float* reconstruction, double& weight_sum) = 0;
};

/// True when this program was built with the CUDA backend.
bool cuda_compiled();
/// Usable CUDA devices (0 without a driver or a GPU, or in a build without CUDA).
int cuda_device_count();
/// A session for the model `cfg` describes (the program's run-time variants); throws
/// epilstm::error when CUDA is missing.
std::unique_ptr<gpu_session> make_gpu_session(const model_config& cfg, const gpu_adam& adam);

}  // namespace epilstm::cli
