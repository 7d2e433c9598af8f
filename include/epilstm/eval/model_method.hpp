// Epi-LSTM models as representation methods (eval/method.hpp): a model in memory embedding the
// signal through eval::embed_representation (eval/embed.hpp), and the random-weights control —
// the architecture of a trained model, initialized from its seed and never trained, so that what
// training added can be told apart from what the architecture gives for free.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/embed.hpp>
#include <epilstm/eval/method.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/model/dispatch.hpp>
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/model/model_config.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::eval {

/// "softsign, layer_norm, H = 16, frame 100" (", bidirectional" after H when it is).
inline std::string describe_model(const model_config& c)
{
    return c.activation + ", " + c.normalization + ", H = " + std::to_string(c.hidden_size) +
           (c.bidirectional ? ", bidirectional" : "") + ", frame " + std::to_string(c.frame_length);
}

/// Throws when a model cannot embed a store's signal: another number of tracks (shape_error), or
/// other track ids than the checkpoint recorded (`tracks`; empty: not recorded, not checked).
inline void check_model_fits_store(const model_config& c, const std::vector<std::string>& tracks,
                                   const io::signal_store& store, const std::string& model_name,
                                   const std::string& store_name)
{
    if (c.input_size != store.tracks())
        throw shape_error(model_name + ": the model expects " + std::to_string(c.input_size) + " tracks but " +
                          store_name + " has " + std::to_string(store.tracks()));
    if (!tracks.empty() && tracks != store.track_ids())
        throw input_error(model_name + ": the model was trained on other tracks than " + store_name +
                          " holds (compare /tracks of both files)");
}

/// A model of type `Model` whose embedding is the representation. fit() learns nothing: the model
/// comes trained (or, for the control, deliberately untrained).
template <class Model>
class model_method final : public representation_method {
public:
    model_method(Model model, std::string name, std::string description, index_t streams, std::string source = {},
                 track_standardization st = {})
        : model_(std::move(model)), name_(std::move(name)), description_(std::move(description)),
          source_(source.empty() ? name_ : std::move(source)), streams_(streams), st_(std::move(st))
    {
        if (streams_ < 1) throw input_error("epilstm: " + name_ + ": streams per region must be positive");
    }
    std::string name() const override { return name_; }
    std::string description() const override { return description_; }
    index_t width() const override { return model_.embedding_size(); }
    void fit(const representation&, const region_filter&) override {}
    represented_region embed_region(const represented_region& g) const override
    {
        representation one{source_, static_cast<index_t>(g.rows.cols()), {g}};
        return std::move(embed_representation(model_, one, streams_, source_, st_).regions.front());
    }
    representation embed(const representation& signal) const override
    {
        return embed_representation(model_, signal, streams_, source_, st_);
    }
    const Model& model() const { return model_; }

private:
    Model model_;
    std::string name_, description_, source_;
    index_t streams_;
    track_standardization st_;  ///< the model's input standardization (empty: none)
};

/// The random-weights control: the architecture `cfg` names, initialized from `seed` (the trained
/// model's: read from its checkpoint's /training) and never trained. Dispatches on the model type
/// with with_model_type.
inline std::unique_ptr<representation_method> random_weights_method(const model_config& cfg, std::uint64_t seed,
                                                                     index_t streams,
                                                                     std::string name = "random-weights",
                                                                     const track_standardization& st = {})
{
    std::unique_ptr<representation_method> out;
    with_model_type(
        cfg,
        [&](auto type) {
            using M = typename decltype(type)::type;
            M untrained(cfg);
            untrained.initialize(seed);
            out = std::make_unique<model_method<M>>(
                std::move(untrained), std::move(name),
                "the same network untrained: what training added is the difference", streams, "random weights", st);
        },
        "random-weights control");
    return out;
}

/// A trained model as a method: the type `cfg` names, with the given parameters (a checkpoint's,
/// in its layout).
template <class Parameters>
std::unique_ptr<representation_method> trained_model_method(const model_config& cfg, const Parameters& params,
                                                            index_t streams, std::string name = "epi-lstm",
                                                            std::string description = "the representation",
                                                            const track_standardization& st = {})
{
    std::unique_ptr<representation_method> out;
    with_model_type(
        cfg,
        [&](auto type) {
            using M = typename decltype(type)::type;
            M model(cfg);
            if (params.size() != model.parameters().size())
                throw shape_error("epilstm: " + name + ": " + std::to_string(params.size()) +
                                  " parameters for a model with " + std::to_string(model.parameters().size()));
            model.parameters() = params;
            out = std::make_unique<model_method<M>>(std::move(model), std::move(name), std::move(description), streams,
                                                    std::string{}, st);
        },
        name);
    return out;
}

}  // namespace epilstm::eval
