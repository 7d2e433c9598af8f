// --device cpu|cuda|auto for train, embed and reconstruct. The run-time choice becomes a tag type in
// exactly one place (with_device); everything after it is written once as a generic lambda and
// overloads on the tag: cpu_tag runs epilstm's trainer/run_region, cuda_tag runs the same loops with
// each frame's forward, backward, clipping and Adam step on the GPU (device_cuda.cu).
#pragma once

#include "common.hpp"
#include "device_session.hpp"

#include <memory>

namespace epilstm::cli {

struct cpu_tag {
    static constexpr const char* name = "cpu";
};
struct cuda_tag {
    static constexpr const char* name = "cuda";
};

inline void add_device_option(CLI::App* c, std::string& device)
{
    c->add_option("--device", device,
                  "where the model runs: cpu | cuda | auto (cuda when this build has CUDA and a GPU is present)")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
        ->capture_default_str();
}

/// Calls f(cpu_tag{}) or f(cuda_tag{}) for --device; `cuda` on a build or machine without CUDA is
/// an epilstm::error naming the reason.
template <class F> decltype(auto) with_device(const std::string& device, F&& f)
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
    if (cuda) return f(cuda_tag{});
    return f(cpu_tag{});
}

inline gpu_adam to_gpu(const adam_options& a) { return {a.learning_rate, a.beta1, a.beta2, a.epsilon}; }

inline gpu_frame to_gpu(const frame_batch<float>& fb)
{
    return {fb.positions, fb.batch, fb.x, fb.weight, fb.h0, fb.lengths.data()};
}

/// epilstm::run_region on the GPU: the same frames, carries and sink calls.
template <class Model, class Sink>
pass_result run_region_on(cuda_tag, const Model& model, const region_source<float>& src, index_t region,
                          index_t streams, bool reconstruct, Sink&& sink, const progress_callback& progress = {})
{
    if (src.tracks != model.input_size())
        throw shape_error("epilstm: the signal has " + std::to_string(src.tracks) + " tracks but the model expects " +
                          std::to_string(model.input_size()));
    auto s = make_gpu_session(model.config(), {});
    s->set_parameters(model.parameters().data());
    frame_streams<float> fs(src.reader(region), src.tracks, src.positions[static_cast<std::size_t>(region)], streams,
                            model.frame_length());
    frame_batch<float> fb;
    using M = typename Model::matrix;
    const index_t E = model.embedding_size(), D = model.input_size(), H = model.hidden_size();
    M carry(H, streams), next(H, streams), emb_all, rec_all, emb, rec;
    pass_result r;
    for (index_t k = 0; k < fs.frames(); ++k) {
        fs.load(k, fb);
        fb.h0 = k == 0 ? nullptr : carry.data();
        emb_all.resize(E, fb.positions * fb.batch);
        if (reconstruct) rec_all.resize(D, fb.positions * fb.batch);
        double w = 0;
        const double loss = s->step(to_gpu(fb), false, reconstruct, 0, next.data(), emb_all.data(),
                                    reconstruct ? rec_all.data() : nullptr, w);
        if (reconstruct) {
            r.loss += loss * w;
            r.weight += w;
        }
        std::swap(carry, next);
        for (index_t b = 0; b < fs.streams(); ++b) {
            const index_t len = fb.lengths[static_cast<std::size_t>(b)];
            if (len == 0) continue;
            emb.resize(E, len);
            if (reconstruct) rec.resize(D, len);
            for (index_t t = 0; t < len; ++t) {
                emb.col(t) = emb_all.col(t * fb.batch + b);
                if (reconstruct) rec.col(t) = rec_all.col(t * fb.batch + b);
            }
            sink(fs.row(k, b, 0), emb, reconstruct ? &rec : nullptr);
        }
        ++r.frames;
        if (progress) progress(k, fs.frames(), loss);
    }
    if (r.weight > 0) r.loss /= r.weight;
    return r;
}

template <class Model, class Sink>
pass_result run_region_on(cpu_tag, const Model& model, const region_source<float>& src, index_t region,
                          index_t streams, bool reconstruct, Sink&& sink, const progress_callback& progress = {})
{
    return run_region(model, src, region, streams, reconstruct, std::forward<Sink>(sink), progress);
}

/// epilstm::run_model on either device.
template <class Tag, class Model>
pass_result run_model_on(Tag tag, const Model& model, const signal_view<float>& s, index_t streams, float* embedding,
                         float* reconstruction = nullptr, const progress_callback& progress = {})
{
    using M = typename Model::matrix;
    const index_t E = model.embedding_size(), D = model.input_size();
    return run_region_on(
        tag, model, single_region(s), 0, streams, reconstruction != nullptr,
        [&](index_t first, const M& emb, const M* rec) {
            if (embedding) Eigen::Map<M>(embedding + first * E, E, emb.cols()) = emb;
            if (rec) Eigen::Map<M>(reconstruction + first * D, D, rec->cols()) = *rec;
        },
        progress);
}

/// epilstm::trainer with each batch's step on the GPU. Same schedule, carries and state, so its
/// checkpoints resume on either device; parameters and Adam moments reach the host (the model and
/// optimizer()) only in sync_to_host(), i.e. when a checkpoint is written.
template <class Model>
class gpu_trainer {
public:
    using T = float;
    using batch_hook = std::function<bool(const gpu_trainer&)>;

    gpu_trainer(Model& m, train_options o)
        : model_(m), opt_(o), adam_(m.parameters().size(), o.adam), session_(make_gpu_session(m.config(), to_gpu(o.adam)))
    {
        session_->set_parameters(m.parameters().data());
    }

    pass_result train_epoch(const region_source<T>& src, const progress_callback& progress = {},
                            const batch_hook& after_batch = {})
    {
        if (src.tracks != model_.input_size())
            throw shape_error("epilstm: the signal has " + std::to_string(src.tracks) +
                              " tracks but the model expects " + std::to_string(model_.input_size()));
        std::vector<index_t> frames;
        for (index_t r = 0; r < src.regions(); ++r)
            frames.push_back(
                frame_streams<T>::frames_for(src.positions[std::size_t(r)], opt_.streams, model_.frame_length()));
        const auto schedule = epoch_schedule(frames, opt_.shuffle, opt_.seed, state_.epoch, opt_.shuffle_run);
        const auto n = static_cast<index_t>(schedule.size());
        frame_batch<T> fb;
        Eigen::MatrixXf carry_in, carry_out(model_.hidden_size(), opt_.streams);
        pass_result r;
        r.completed = false;
        for (index_t i = state_.batch; i < n; ++i) {
            const auto [region, k] = schedule[static_cast<std::size_t>(i)];
            const std::string& name = src.names[static_cast<std::size_t>(region)];
            frame_streams<T> fs(src.reader(region), src.tracks, src.positions[std::size_t(region)], opt_.streams,
                                model_.frame_length());
            fs.load(k, fb);
            auto carry = state_.carries.find(name);
            if (k == 0 || carry == state_.carries.end()) {
                fb.h0 = nullptr;
            } else {
                carry_in = carry->second;
                fb.h0 = carry_in.data();
            }
            double weight = 0;
            const double loss =
                session_->step(to_gpu(fb), true, true, opt_.clip_norm, carry_out.data(), nullptr, nullptr, weight);
            if (k + 1 < fs.frames())
                state_.carries[name] = carry_out;
            else
                state_.carries.erase(name);
            state_.loss_sum += loss * weight;
            state_.weight_sum += weight;
            ++state_.batch;
            ++r.frames;
            if (progress) progress(i, n, loss);
            if (after_batch && !after_batch(*this) && i + 1 < n) {
                r.loss = state_.weight_sum > 0 ? state_.loss_sum / state_.weight_sum : 0;
                r.weight = state_.weight_sum;
                return r;
            }
        }
        r.completed = true;
        r.loss = state_.weight_sum > 0 ? state_.loss_sum / state_.weight_sum : 0;
        r.weight = state_.weight_sum;
        state_ = training_state{state_.epoch + 1, 0, 0, 0, {}};
        return r;
    }

    /// Downloads parameters into the model and Adam's moments into optimizer().
    void sync_to_host()
    {
        session_->get_parameters(model_.parameters().data());
        Eigen::VectorXf m(model_.parameters().size()), v(model_.parameters().size());
        const long steps = session_->get_optimizer(m.data(), v.data());
        adam_.restore(std::move(m), std::move(v), steps);
    }
    void restore_optimizer(const Eigen::VectorXf& m, const Eigen::VectorXf& v, long steps)
    {
        adam_.restore(m, v, steps);
        session_->set_optimizer(m.data(), v.data(), steps);
    }
    const adam<T>& optimizer() const { return adam_; }
    const train_options& options() const { return opt_; }
    const training_state& state() const { return state_; }
    void restore(training_state s) { state_ = std::move(s); }
    std::string device_name() const { return session_->device_name(); }

private:
    Model& model_;
    train_options opt_;
    adam<T> adam_;
    std::unique_ptr<gpu_session> session_;
    training_state state_;
};

/// The trainer for a device (cpu: epilstm::trainer, cuda: gpu_trainer).
template <class Model> std::unique_ptr<trainer<Model>> make_trainer(cpu_tag, Model& m, const train_options& o)
{
    return std::make_unique<trainer<Model>>(m, o);
}
template <class Model> std::unique_ptr<gpu_trainer<Model>> make_trainer(cuda_tag, Model& m, const train_options& o)
{
    return std::make_unique<gpu_trainer<Model>>(m, o);
}
template <class Model> void sync_to_host(trainer<Model>&) {}
template <class Model> void sync_to_host(gpu_trainer<Model>& t) { t.sync_to_host(); }
template <class Model>
void restore_optimizer(trainer<Model>& t, const Eigen::VectorXf& m, const Eigen::VectorXf& v, long steps)
{
    t.optimizer().restore(m, v, steps);
}
template <class Model>
void restore_optimizer(gpu_trainer<Model>& t, const Eigen::VectorXf& m, const Eigen::VectorXf& v, long steps)
{
    t.restore_optimizer(m, v, steps);
}

}  // namespace epilstm::cli
