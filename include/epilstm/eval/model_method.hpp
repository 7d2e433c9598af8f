// Epi-LSTM models as representation methods (eval/method.hpp): a model in memory embedding the
// signal through eval::embed_representation (eval/embed.hpp), and the random-weights control —
// the architecture of a trained model, initialized from its seed and never trained, so that what
// training added can be told apart from what the architecture gives for free.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/eval/embed.hpp>
#include <epilstm/eval/method.hpp>
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/io/checksum.hpp>
#include <epilstm/io/embedding_file.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/model/dispatch.hpp>
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/model/model_config.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
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

/// Numbers per position the decoder receives from the encoder: h^e_t, and under the paper's wiring
/// also c^e_t (MODEL-SPEC, "Autoencoder over one frame"). A linear baseline of this width is the
/// like-for-like comparison for reconstruction; the representation itself is h only.
inline index_t decoder_input_width(const model_config& c)
{
    return c.embedding_size() * (c.wiring == paper_wiring::name ? 2 : 1);
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

/// What `epilstm evaluate` settles from the embedding file and the checkpoint before it evaluates:
/// the held-out chromosomes, the streams the control is embedded with, and what to tell the reader.
struct evaluation_provenance {
    std::vector<std::string> heldout_chroms;
    std::string heldout_source;   ///< "--heldout-chroms", "the checkpoint's /provenance/heldout_chroms" or "" (none)
    std::vector<std::string> validation_regions;  ///< given, else the checkpoint's; no baseline is fitted on them
    index_t streams = 1;          ///< streams per region for the control and the reconstruction
    std::string summary;          ///< a sentence for the report's header: model, checksum, streams
    std::vector<std::string> notes;  ///< for "Skipped, and why" (attributes missing, lists differing)
};

/// Settles the evaluation's provenance. `heldout_given`: --heldout-chroms (std::nullopt: not
/// given, then the checkpoint's list is used when `model` is given); `validation_given`:
/// --validation-regions, likewise; `streams_given`: --streams
/// (0: not given, then the embedding's recorded stream count, else 1, `epilstm embed`'s default).
/// With a model, a checksum recorded by the embedding must equal the model file's: otherwise an
/// input_error names both files. Embedding files without the attributes are accepted with a note.
inline evaluation_provenance resolve_evaluation_provenance(const io::embedding_provenance& emb,
                                                           const std::filesystem::path& embedding,
                                                           const std::filesystem::path& model,
                                                           const std::optional<std::vector<std::string>>& heldout_given,
                                                           index_t streams_given,
                                                           const std::optional<std::vector<std::string>>& validation_given = {})
{
    evaluation_provenance p;
    const std::string emb_name = embedding.string();
    if (!model.empty()) {
        const std::string sum = io::file_checksum(model);
        if (emb.model_checksum.empty()) {
            p.summary = "The embedding file records no checksum of its checkpoint (written before `epilstm embed` did): "
                        "not checked against `" + model.string() + "`.";
            p.notes.push_back("model check: " + emb_name + " records no checksum of the checkpoint it was made with "
                              "(an older file); --model " + model.string() + " was not checked against it");
        } else if (emb.model_checksum != sum) {
            throw input_error(model.string() + ": not the checkpoint " + emb_name + " was made with: its checksum is " +
                              sum + ", the embedding records " + emb.model_checksum + " for " +
                              (emb.model.empty() ? std::string("its checkpoint") : emb.model) +
                              " (embed again with this model, or give the model the embedding was made with)");
        } else {
            p.summary = "The embedding was made with this checkpoint (checksum " + sum + " recorded by `epilstm embed`).";
        }
    } else if (!emb.model.empty()) {
        p.summary = "The embedding was made with `" + emb.model + "`" +
                    (emb.model_checksum.empty() ? std::string() : " (" + emb.model_checksum + ")") + "; no --model given.";
    }
    if (streams_given > 0) {
        p.streams = streams_given;
        if (emb.streams > 0 && emb.streams != streams_given)
            p.notes.push_back("--streams " + std::to_string(streams_given) + ": the embedding was made with " +
                              std::to_string(emb.streams) + " streams per region; the control is embedded differently");
    } else if (emb.streams > 0) {
        p.streams = emb.streams;
    } else {
        p.streams = 1;
        if (!model.empty())
            p.notes.push_back("streams: " + emb_name + " does not record its stream count (an older file): the "
                              "control is embedded with 1 stream per region, `epilstm embed`'s default (give --streams "
                              "if the embedding was made otherwise)");
    }
    if (!model.empty())
        p.summary += " Random-weights control and reconstruction embedded with " + std::to_string(p.streams) +
                     " stream(s) per region" + (streams_given > 0 ? " (--streams)." : emb.streams > 0 ? " (as the embedding)." : ".");

    const io::training_provenance rec = model.empty() ? io::training_provenance{} : io::read_checkpoint_provenance(model);
    const std::vector<std::string>& recorded = rec.heldout_chroms;
    auto same_set = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
        return std::set<std::string>(a.begin(), a.end()) == std::set<std::string>(b.begin(), b.end());
    };
    if (validation_given) {
        p.validation_regions = *validation_given;
        if (!rec.validation_regions.empty() && !same_set(rec.validation_regions, *validation_given))
            p.notes.push_back("--validation-regions differs from the " + std::to_string(rec.validation_regions.size()) +
                              " regions the checkpoint records as validated on: baselines are kept off the list given");
    } else {
        p.validation_regions = rec.validation_regions;
    }
    if (heldout_given) {
        p.heldout_chroms = *heldout_given;
        p.heldout_source = "--heldout-chroms";
        if (!model.empty() && !recorded.empty() && !same_set(recorded, *heldout_given)) {
            std::string r;
            for (const auto& c : recorded) r += (r.empty() ? "" : ",") + c;
            p.notes.push_back("--heldout-chroms differs from the chromosomes the checkpoint records as held out of "
                              "training (" + r + "): the held-out numbers are for the list given");
        }
    } else if (!recorded.empty()) {
        p.heldout_chroms = recorded;
        p.heldout_source = "the checkpoint's /provenance/heldout_chroms";
    }
    return p;
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

namespace detail {
/// A model_method of the type `cfg` names (with_model_type), its model set up by set_up(model).
template <class SetUp>
std::unique_ptr<representation_method> make_model_method(const model_config& cfg, SetUp&& set_up, std::string name,
                                                         std::string description, index_t streams, std::string source,
                                                         const track_standardization& st, const std::string& what)
{
    std::unique_ptr<representation_method> out;
    with_model_type(
        cfg,
        [&](auto type) {
            using M = typename decltype(type)::type;
            M model(cfg);
            set_up(model);
            out = std::make_unique<model_method<M>>(std::move(model), std::move(name), std::move(description), streams,
                                                    std::move(source), st);
        },
        what);
    return out;
}
}  // namespace detail

/// The random-weights control: the architecture `cfg` names, initialized from `seed` (the trained
/// model's: read from its checkpoint's /training) and never trained. `st`: the trained model's
/// standardization, so that the control sees the same input.
inline std::unique_ptr<representation_method> random_weights_method(const model_config& cfg, std::uint64_t seed,
                                                                     index_t streams,
                                                                     std::string name = "random-weights",
                                                                     const track_standardization& st = {})
{
    return detail::make_model_method(
        cfg, [&](auto& m) { m.initialize(seed); }, std::move(name),
        "the same network untrained: what training added is the difference", streams, "random weights", st,
        "random-weights control");
}

/// A trained model as a method: the type `cfg` names, with the given parameters (a checkpoint's,
/// in its layout) and standardization.
template <class Parameters>
std::unique_ptr<representation_method> trained_model_method(const model_config& cfg, const Parameters& params,
                                                            index_t streams, std::string name = "epi-lstm",
                                                            std::string description = "the representation",
                                                            const track_standardization& st = {})
{
    const std::string what = name;
    return detail::make_model_method(
        cfg,
        [&](auto& m) {
            if (params.size() != m.parameters().size())
                throw shape_error("epilstm: " + what + ": " + std::to_string(params.size()) +
                                  " parameters for a model with " + std::to_string(m.parameters().size()));
            m.parameters() = params;
        },
        std::move(name), std::move(description), streams, std::string{}, st, what);
}

}  // namespace epilstm::eval
