// The representation of an in-memory signal (eval/representation.hpp) under a model, without a
// file in between: what the evaluation needs for the random-weights control (the same
// architecture, untrained) and for the ablation grid (examples/ablation), which embed many models;
// and the model's reconstruction of a signal (the held-out reconstruction of `epilstm evaluate`).
// The evaluation runs models only through these two functions.
#pragma once

#include <epilstm/data/standardization.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/model/inference.hpp>

#include <string>

namespace epilstm::eval {

namespace detail {
/// run_model over every region of `signal`: the representation (or, reconstructing, the
/// decoder's output) [positions, width] per region.
template <class Model>
representation run_over_regions(const Model& model, const representation& signal, index_t streams, std::string source,
                                bool reconstruct, const track_standardization& st)
{
    static_assert(std::is_same_v<typename Model::scalar, float>, "the evaluation works in float");
    if (signal.width != model.input_size())
        throw shape_error("epilstm: " + signal.source + " has " + std::to_string(signal.width) +
                          " tracks but the model expects " + std::to_string(model.input_size()));
    representation out;
    out.source = std::move(source);
    out.width = reconstruct ? signal.width : model.embedding_size();
    for (const auto& r : signal.regions) {
        represented_region e{r.name, r.chrom, r.start, r.end, r.bin_size, row_matrix(r.rows.rows(), out.width)};
        row_matrix z;  // the standardized input, when the model has a standardization
        if (!st.empty()) {
            z = r.rows;
            st.apply(z.data(), z.rows());
        }
        const signal_view<float> view{st.empty() ? r.rows.data() : z.data(), r.rows.rows(), signal.width, nullptr};
        if (r.rows.rows() > 0)
            run_model(model, view, streams, reconstruct ? nullptr : e.rows.data(), reconstruct ? e.rows.data() : nullptr);
        if (reconstruct && !st.empty()) st.undo(e.rows.data(), e.rows.rows());  // [N, D] row-major = [D, N] by column
        out.regions.push_back(std::move(e));
    }
    return out;
}
}  // namespace detail

/// Embeds every region of `signal` (its width must be the model's input size) as `streams`
/// streams per region, exactly as `epilstm embed --streams` does. Missing positions are not known
/// in memory, so none is excluded (the representation of a position does not depend on it).
/// `st`: the model's per-track standardization (data/standardization.hpp), applied to the input
/// (in memory every position is standardized: a missing one is not set to 0 as `epilstm embed`
/// does from a store).
template <class Model>
representation embed_representation(const Model& model, const representation& signal, index_t streams,
                                    std::string source = "in-memory embedding", const track_standardization& st = {})
{
    return detail::run_over_regions(model, signal, streams, std::move(source), false, st);
}

/// The model's reconstruction of every region of `signal` ([positions, tracks] per region, the
/// decoder's output), `streams` streams per region; as for the embedding, no position is excluded.
template <class Model>
representation reconstruct_representation(const Model& model, const representation& signal, index_t streams,
                                          std::string source = "in-memory reconstruction",
                                          const track_standardization& st = {})
{
    return detail::run_over_regions(model, signal, streams, std::move(source), true, st);
}

}  // namespace epilstm::eval
