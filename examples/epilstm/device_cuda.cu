// The CUDA part of the `epilstm` program: gpu_session for the program's run-time variants
// ({softsign, tanh} × {layer_norm, none} × {unidirectional, bidirectional}, paper wiring).
#include "device_session.hpp"

#include <epilstm/backend/cuda/cuda.cuh>

#include <vector>

namespace epilstm::cli {

namespace {

template <class Model>
class session final : public gpu_session {
public:
    session(const model_config& c, const gpu_adam& a)
        : model_(dev_, c.input_size, c.hidden_size, c.frame_length),
          opt_(dev_, model_.parameter_count(), cuda::adam_options{a.learning_rate, a.beta1, a.beta2, a.epsilon})
    {
        grad_.resize(model_.parameter_count());
    }
    std::string device_name() const override
    {
        cudaDeviceProp p{};
        return cudaGetDeviceProperties(&p, 0) == cudaSuccess ? std::string(p.name) : std::string("CUDA device");
    }
    index_t parameter_count() const override { return model_.parameter_count(); }
    void set_parameters(const float* host) override { model_.set_parameters(host, model_.parameter_count()); }
    void get_parameters(float* host) const override { model_.get_parameters(host); }
    void set_optimizer(const float* m, const float* v, long steps) override
    {
        if (m && v) {
            opt_.restore(m, v, steps);
        } else {
            const std::vector<float> zero(static_cast<std::size_t>(model_.parameter_count()), 0.f);
            opt_.restore(zero.data(), zero.data(), steps);
        }
    }
    long get_optimizer(float* m, float* v) const override
    {
        opt_.get_moments(m, v);
        return opt_.steps();
    }
    double step(const gpu_frame& f, bool train, bool reconstruct, double clip, float* carry, float* embedding,
                float* reconstruction, double& weight_sum) override
    {
        cuda::host_frame<float> hf{f.positions, f.batch, f.x, f.weight, f.h0, f.lengths};
        const auto df = model_.stage(ws_, hf);
        const index_t n = f.positions * f.batch;
        double loss = 0;
        weight_sum = 0;
        if (train || reconstruct) {
            loss = model_.forward(ws_, df);
            weight_sum = ws_.weight_sum;
        } else {
            model_.encode(ws_, df);
        }
        if (train) {
            const index_t P = model_.parameter_count();
            dev_.fill(grad_.data(), P, 0.f);
            model_.backward(ws_, df, grad_.data());
            if (clip > 0) cuda::clip_global_norm(dev_, grad_.data(), P, static_cast<float>(clip));
            opt_.step(model_.parameters(), grad_.data());
        }
        if (carry) dev_.download(carry, ws_.carry.data(), model_.hidden_size() * f.batch);
        if (embedding) dev_.download(embedding, ws_.embedding.data(), model_.embedding_size() * n);
        if (reconstruction && reconstruct)
            dev_.download(reconstruction, ws_.reconstruction.data(), model_.input_size() * n);
        dev_.synchronize();
        return loss;
    }

private:
    cuda::cuda_device dev_;  // first: the model's buffers are freed before the device's stream
    Model model_;
    typename Model::workspace ws_;
    cuda::buffer<float, cuda::cuda_device> grad_;
    mutable cuda::adam<cuda::cuda_device> opt_;
};

template <class Act, class Norm>
std::unique_ptr<gpu_session> by_direction(const model_config& c, const gpu_adam& a)
{
    using S = cell_spec<Act, Norm>;
    if (c.bidirectional)
        return std::make_unique<session<cuda::epi_lstm<S, cuda::paper_wiring, cuda::bidirectional, cuda::cuda_device>>>(c, a);
    return std::make_unique<session<cuda::epi_lstm<S, cuda::paper_wiring, cuda::unidirectional, cuda::cuda_device>>>(c, a);
}

}  // namespace

bool cuda_compiled() { return true; }
int cuda_device_count() { return cuda::device_count(); }

std::unique_ptr<gpu_session> make_gpu_session(const model_config& c, const gpu_adam& a)
{
    if (cuda::device_count() == 0)
        throw cuda::cuda_error("--device cuda: no usable CUDA GPU on this machine (no device or no driver)");
    const bool tanh = c.activation == tanh_activation::name, plain = c.normalization == no_norm::name;
    if (!tanh && !plain) return by_direction<softsign, layer_norm>(c, a);
    if (!tanh) return by_direction<softsign, no_norm>(c, a);
    if (!plain) return by_direction<tanh_activation, layer_norm>(c, a);
    return by_direction<tanh_activation, no_norm>(c, a);
}

}  // namespace epilstm::cli
