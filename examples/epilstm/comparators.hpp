// The comparators' parts of the `epilstm` subcommands (issue 12; docs/comparators.md):
//   Avocado        cmd_avocado.cpp      train --method avocado, embed, reconstruct --region, impute
//   REFINED+CNN    cmd_refined_cnn.cpp  train --method refined-cnn, embed, reconstruct --matrix
// train, embed and reconstruct (cmd_train.cpp, cmd_embed.cpp, cmd_model.cpp) parse the options every
// method shares and hand a request to the method the checkpoint (or --method) names.
#pragma once

#include "common.hpp"

#include <epilstm/io/signal_store.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace epilstm::cli {

/// What a checkpoint file holds, from its root attribute `format`.
enum class checkpoint_format { epi_lstm, avocado, refined_cnn };

/// Reads the root attribute `format` of `path`: "epilstm-checkpoint", "avocado-checkpoint" or
/// "refined-cnn-checkpoint"; anything else (or no attribute) is an input_error naming the file.
inline checkpoint_format read_checkpoint_format(const fs::path& path)
{
    const io::input_file f(path);
    if (!f.has_attribute("/", "format"))
        throw input_error(path.string() + " is not a model checkpoint (root attribute 'format' missing; expected an epilstm, avocado or "
                                          "refined-cnn checkpoint)");
    const std::string format = f.read_string_attribute("/", "format");
    if (format == io::checkpoint_format) return checkpoint_format::epi_lstm;
    if (format == "avocado-checkpoint") return checkpoint_format::avocado;
    if (format == "refined-cnn-checkpoint") return checkpoint_format::refined_cnn;
    throw input_error(path.string() + ": root attribute 'format' is '" + format +
                      "', expected 'epilstm-checkpoint', 'avocado-checkpoint' or 'refined-cnn-checkpoint'");
}

/// The options of `epilstm train` that every method shares, as given.
struct train_request {
    fs::path matrix, store, model;  ///< one of matrix or store; model: the checkpoint to write
    std::vector<std::string> regions, validation_regions, heldout_chroms;
    index_t epochs = 10;
    std::optional<index_t> batch;   ///< --batch if given (each method has its own default and meaning)
    std::optional<double> lr;       ///< --lr if given
    std::optional<index_t> hidden;  ///< --hidden-size if given (refined-cnn: the bottleneck width)
    std::uint64_t seed = 1;
};

/// The store's training regions of a request: --regions (default all) without the validation regions
/// and those on --heldout-chroms; every name checked. Errors name the store and the option.
std::vector<std::string> training_region_names(const io::signal_store& store, const train_request& r);

/// The store regions `names` names (empty: all, in store order), as indices into store.regions();
/// an unknown or repeated name is an input_error naming the store and --regions.
inline std::vector<index_t> chosen_store_regions(const io::signal_store& store, const std::vector<std::string>& names)
{
    std::vector<index_t> ids;
    if (names.empty()) {
        for (index_t i = 0; i < static_cast<index_t>(store.regions().size()); ++i) ids.push_back(i);
        return ids;
    }
    for (const auto& n : names) {
        const index_t k = store.region_index(n);
        if (k < 0) throw input_error(store.path().string() + ": --regions: no region named '" + n + "' in the store");
        if (std::find(ids.begin(), ids.end(), k) != ids.end())
            throw input_error("command line: --regions names '" + n + "' twice");
        ids.push_back(k);
    }
    return ids;
}

/// Sorts store region indices by the store genome's chromosome order, then start: the order a
/// bigWig needs. A region on a chromosome the genome lacks is an input_error.
inline void sort_by_genome(const io::signal_store& store, std::vector<index_t>& ids)
{
    const auto& chroms = store.chroms();
    auto chrom_index = [&](const std::string& c) {
        for (std::size_t i = 0; i < chroms.size(); ++i)
            if (chroms[i].name == c) return i;
        throw input_error(store.path().string() + ": region chromosome " + c + " is not in the store's genome");
    };
    std::sort(ids.begin(), ids.end(), [&](index_t a, index_t b) {
        const auto& ra = store.regions()[static_cast<std::size_t>(a)];
        const auto& rb = store.regions()[static_cast<std::size_t>(b)];
        return std::pair(chrom_index(ra.chrom), ra.start) < std::pair(chrom_index(rb.chrom), rb.start);
    });
}

/// The options of `epilstm embed` that every method shares, as given.
struct embed_request {
    fs::path model, store, out;
    fs::path reconstruction;  ///< --reconstruction-out: also the reconstruction of every region (empty: no)
    std::vector<std::string> regions;  ///< store regions (empty: all)
};

/// What an embed wrote: the store regions (indices into store.regions(), in the order written) and
/// the representation's width; cmd_embed.cpp writes the bedGraph / bigWig tracks from the file.
struct embed_result {
    std::vector<index_t> region_ids;
    index_t width = 0;
};

// ---- Avocado (cmd_avocado.cpp) ----
struct avocado_train_cli;  ///< --avocado-* options of train
struct avocado_embed_cli;  ///< --fit-epochs etc. of embed
std::shared_ptr<avocado_train_cli> add_avocado_train_options(CLI::App* train);
std::shared_ptr<avocado_embed_cli> add_avocado_embed_options(CLI::App* embed);
int run_avocado_train(const train_request&, const avocado_train_cli&);
embed_result run_avocado_embed(const embed_request&, const avocado_embed_cli&, const io::signal_store&);
/// reconstruct --model A.h5 --region NAME --out Y.h5 (COMPARATORS-SPEC).
int run_avocado_reconstruct(const fs::path& model, const std::string& region, const fs::path& out);
command add_impute_command(CLI::App& app);

// ---- REFINED+CNN (cmd_refined_cnn.cpp) ----
struct refined_cnn_train_cli;  ///< --cnn-* options of train
std::shared_ptr<refined_cnn_train_cli> add_refined_cnn_train_options(CLI::App* train);
int run_refined_cnn_train(const train_request&, const refined_cnn_train_cli&);
embed_result run_refined_cnn_embed(const embed_request&, const io::signal_store&);
/// reconstruct --model R.h5 --matrix X.h5 --out Y.h5 (COMPARATORS-SPEC, as MODEL-SPEC).
int run_refined_cnn_reconstruct(const fs::path& model, const fs::path& matrix, const fs::path& out);

}  // namespace epilstm::cli
