// A model, its optimizer and its trainer on one device, behind a virtual interface: what an
// application that chooses the device and the variant at run time (the `epilstm` program) holds.
// The session is built for a model_config by make_session<Device>, which turns the configuration
// into a type once (with_model_type); every call after that is the library's one trainer
// (train/trainer.hpp) or inference path (model/inference.hpp) on that device.
//
// Only host pointers and standard types cross the interface, so a program compiled by g++ can use
// a session made in a .cu file by nvcc (make_session<cuda::cuda_device>), and vice versa.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/data/standardization.hpp>
#include <epilstm/model/dispatch.hpp>
#include <epilstm/model/inference.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/train/trainer.hpp>
#include <epilstm/train/training_state.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace epilstm {

/// sink(first_row, embedding [E, n], reconstruction [D, n] or null) of run_region.
using block_sink = std::function<void(index_t, const column_block<float>&, const column_block<float>*)>;

class model_session {
public:
    virtual ~model_session() = default;
    virtual const char* device_name() const = 0;
    virtual const model_config& config() const = 0;
    virtual index_t parameter_count() const = 0;

    /// The per-track standardization (data/standardization.hpp) every call below applies: inputs
    /// standardized, reconstructions mapped back; empty (the default): none.
    virtual void set_standardization(track_standardization s) = 0;
    virtual const track_standardization& standardization() const = 0;

    /// Inference (model/inference.hpp run_region) over one region of `src`.
    virtual pass_result run_region(const region_source<float>& src, index_t region, index_t streams,
                                   bool reconstruct, const block_sink& sink, const progress_callback& progress = {}) = 0;

    /// Training (train/trainer.hpp). start_training creates the optimizer and trainer; then
    /// train_epoch runs one epoch (after_batch() returning false stops it, as trainer's hook).
    virtual void start_training(const train_options& o) = 0;
    virtual pass_result train_epoch(const region_source<float>& src, const progress_callback& progress,
                                    const std::function<bool()>& after_batch) = 0;
    /// This rank's state, and setting it (trainer::state, restore).
    virtual const training_state& state() const = 0;
    virtual void restore(training_state s) = 0;
    /// The state in the single-process layout, for a checkpoint (collective in a data-parallel
    /// group), and resuming from one (trainer::checkpoint_state, resume_from).
    virtual training_state checkpoint_state() const = 0;
    virtual void resume_from(training_state s) = 0;
    /// The data-parallel group training runs in (train_options::group); null: this process alone.
    virtual communicator* group() const = 0;
    /// Adam's moments from host arrays of parameter_count() entries.
    virtual void restore_optimizer(const float* m, const float* v, long steps) = 0;
    /// Host copies of the parameters and (when training; m, v may be null) the moments; returns
    /// Adam's step count (0 before training).
    virtual long download(float* params, float* m = nullptr, float* v = nullptr) const = 0;
};

/// The session of one model type (M::device must be default-constructible: it is owned here).
template <class M>
class typed_session final : public model_session {
public:
    using device_type = typename M::device;

    typed_session(const model_config& cfg, const float* params) : model_(dev_, cfg)
    {
        model_.set_parameters(params, model_.parameter_count());
    }

    const char* device_name() const override { return device_type::name; }
    const model_config& config() const override { return model_.config(); }
    index_t parameter_count() const override { return model_.parameter_count(); }

    void set_standardization(track_standardization s) override
    {
        if (!s.empty()) s.check(model_.input_size(), "the session's standardization");
        std_ = std::move(s);
    }
    const track_standardization& standardization() const override { return std_; }

    pass_result run_region(const region_source<float>& src, index_t region, index_t streams, bool reconstruct,
                           const block_sink& sink, const progress_callback& progress) override
    {
        if (std_.empty()) return epilstm::run_region(model_, src, region, streams, reconstruct, sink, progress);
        std::vector<float> rec;
        return epilstm::run_region(
            model_, standardized(src, std_), region, streams, reconstruct,
            [&](index_t first, const column_block<float>& emb, const column_block<float>* r) {
                if (!r) return sink(first, emb, nullptr);
                rec.assign(r->data(), r->data() + r->rows() * r->cols());
                std_.undo(rec.data(), r->cols());
                const column_block<float> back{rec.data(), r->rows(), r->cols()};
                sink(first, emb, &back);
            },
            progress);
    }

    void start_training(const train_options& o) override { trainer_.emplace(model_, o); }
    pass_result train_epoch(const region_source<float>& src, const progress_callback& progress,
                            const std::function<bool()>& after_batch) override
    {
        typename trainer<M>::batch_hook hook;
        if (after_batch) hook = [&](const trainer<M>&) { return after_batch(); };
        if (std_.empty()) return training().train_epoch(src, progress, hook);
        return training().train_epoch(standardized(src, std_), progress, hook);
    }
    const training_state& state() const override { return training().state(); }
    void restore(training_state s) override { training().restore(std::move(s)); }
    training_state checkpoint_state() const override { return training().checkpoint_state(); }
    void resume_from(training_state s) override { training().resume_from(std::move(s)); }
    communicator* group() const override { return trainer_ ? trainer_->options().group : nullptr; }
    void restore_optimizer(const float* m, const float* v, long steps) override
    {
        training().optimizer().restore(m, v, steps);
    }
    long download(float* params, float* m, float* v) const override
    {
        model_.get_parameters(params);
        if (!trainer_) return 0;
        if (m && v) trainer_->optimizer().get_moments(m, v);
        return trainer_->optimizer().steps();
    }

private:
    trainer<M>& training()
    {
        if (!trainer_) throw error("epilstm: the session has no trainer (call start_training first)");
        return *trainer_;
    }
    const trainer<M>& training() const { return const_cast<typed_session*>(this)->training(); }

    device_type dev_;  // first: the model's buffers are freed before the device
    M model_;
    std::optional<trainer<M>> trainer_;
    track_standardization std_;
};

/// A session on a new `Device` for the variant `cfg` names, starting from the host parameters
/// `params` (the MODEL-SPEC layout of cfg, e.g. a checkpoint's).
template <class Device>
std::unique_ptr<model_session> make_session(const model_config& cfg, const float* params)
{
    std::unique_ptr<model_session> s;
    with_model_type<float, Device>(cfg, [&](auto type) {
        using M = typename decltype(type)::type;
        s = std::make_unique<typed_session<M>>(cfg, params);
    });
    return s;
}

/// The session's reconstruction loss over every region of `src` (as reconstruction_loss of
/// model/inference.hpp; in standardized units when the session standardizes, like its training loss).
inline pass_result reconstruction_loss(model_session& s, const region_source<float>& src, index_t streams)
{
    return detail::pooled_loss(src.regions(), [&](index_t k) {
        return s.run_region(src, k, streams, true, [](index_t, const column_block<float>&, const column_block<float>*) {});
    });
}

/// run_model (model/inference.hpp) through a session: the representation [N, E] and (when not
/// null) the reconstruction [N, D] of an in-memory signal, row-major; returns the loss when
/// reconstructing.
inline pass_result run_model(model_session& s, const signal_view<float>& signal, index_t streams, float* embedding,
                             float* reconstruction = nullptr, const progress_callback& progress = {})
{
    return detail::run_into(
        [&](const region_source<float>& src, bool rec, const auto& sink) {
            return s.run_region(src, 0, streams, rec, sink, progress);
        },
        signal, s.config().embedding_size(), s.config().input_size, embedding, reconstruction);
}

}  // namespace epilstm
