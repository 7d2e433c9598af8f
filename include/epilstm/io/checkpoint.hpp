// Model checkpoints (docs/MODEL-SPEC.md, "Parameter layout").
//
// File layout:
//   root attributes   format = "epilstm-checkpoint", version = 1, input_size, hidden_size,
//                     frame_length (int64), activation, normalization (strings), bidirectional (0/1;
//                     absent means 0), wiring (string, "paper" | "own_cell"; absent means "paper", so
//                     a checkpoint written before it existed, or by the reference, is the paper's model)
//   /<tensor name>    one float32 dataset per tensor of the parameter layout: rank 1 -> [rows],
//                     rank 2 -> [rows, cols] stored row-major (the flat buffer is column-major, so
//                     matrices are transposed on the way in and out)
//   /optimizer/m, /optimizer/v   optional Adam moments, float32 [P] flat like the parameter buffer
//                     (P = layout.size(), alignment padding included); attribute `step` on /optimizer
//   /tracks           optional 1-D dataset of variable-length UTF-8 strings, the D track names
//   /standardization/mean, /standardization/sd   optional float32 [D]: the per-track
//                     standardization the model was trained with (data/standardization.hpp);
//                     absent: none (inputs and reconstructions in the signal's own units, as before)
//   /training         optional progress of a training run (train/training_state.hpp): attributes
//                     epoch, batch, streams, shuffle (int64), seed (decimal string), loss_sum,
//                     weight_sum (float64); optional mix_frames (int64, absent 0), lr_scale,
//                     best_validation (float64), best_epoch, epochs_since_best (int64);
//                     /training/carry_regions [K] strings and
//                     /training/carry/<i> float32 [H, B] row-major, the carried encoder hidden of
//                     the streams of each region in progress
//   /provenance/heldout_chroms   optional 1-D dataset of variable-length UTF-8 strings: the
//                     chromosomes held out of training (`epilstm evaluate` reads them when its
//                     --heldout-chroms is not given). Written when write_checkpoint's
//                     `provenance` is given, even empty (= recorded: none held out); absent in
//                     older files, which read as an empty list
//   /provenance/validation_regions   optional 1-D dataset of strings: the store regions the run
//                     validated on (not trained on; `evaluate` fits no baseline on them). Written
//                     with heldout_chroms; absent: none recorded
//
// Files are written atomically (io::atomic_output_file): a failed write leaves the previous file.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/standardization.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/hdf5.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/model/parameter_layout.hpp>
#include <epilstm/train/training_state.hpp>

#include <Eigen/Core>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace epilstm::io {

inline constexpr std::string_view checkpoint_format = "epilstm-checkpoint";
inline constexpr long checkpoint_version = 1;

/// Adam state, flat like the parameter buffer.
struct optimizer_state {
    Eigen::VectorXf m, v;
    long step = 0;
};

/// What a training run kept out of training, recorded for `epilstm evaluate` (/provenance).
struct training_provenance {
    std::vector<std::string> heldout_chroms;      ///< chromosomes nothing of the run read
    std::vector<std::string> validation_regions;  ///< store regions it validated on, never trained on

    bool operator==(const training_provenance&) const = default;
};

/// Everything a checkpoint holds.
struct checkpoint {
    model_config config;
    Eigen::VectorXf params;                   ///< flat, in the layout make_layout(config) gives
    std::optional<optimizer_state> optimizer; ///< present when the file has /optimizer
    std::vector<std::string> tracks;          ///< empty when the file has no /tracks
    track_standardization standardization;    ///< empty when the file has no /standardization
    std::optional<training_state> training;   ///< present when the file has /training
    schedule_options schedule;                ///< meaningful when training is present
    training_provenance provenance;           ///< /provenance; empty lists when absent
};

inline constexpr const char* checkpoint_heldout_chroms_dataset = "/provenance/heldout_chroms";
inline constexpr const char* checkpoint_validation_regions_dataset = "/provenance/validation_regions";

/// What write_checkpoint saves of a training run in progress.
struct training_progress {
    const training_state* state = nullptr;
    schedule_options schedule;
};

namespace detail {

inline model_config read_checkpoint_config(const input_file& f)
{
    const std::string file = f.path().string();
    if (!f.has_attribute("/", "format"))
        throw input_error(file + " is not an epilstm checkpoint (attribute 'format' missing)");
    const std::string format = f.read_string_attribute("/", "format");
    if (format != checkpoint_format)
        throw input_error(file + " is not an epilstm checkpoint (attribute 'format' is '" + format + "', expected '" +
                          std::string(checkpoint_format) + "')");
    auto required_int = [&](const char* name) {
        if (!f.has_attribute("/", name))
            throw input_error(file + ": checkpoint attribute '" + std::string(name) + "' missing");
        return f.read_int_attribute("/", name);
    };
    auto required_string = [&](const char* name) {
        if (!f.has_attribute("/", name))
            throw input_error(file + ": checkpoint attribute '" + std::string(name) + "' missing");
        return f.read_string_attribute("/", name);
    };
    const long version = required_int("version");
    if (version != checkpoint_version)
        throw input_error(file + ": checkpoint version " + std::to_string(version) + " is not supported (this build reads version " +
                          std::to_string(checkpoint_version) + ")");
    model_config cfg;
    cfg.input_size = required_int("input_size");
    cfg.hidden_size = required_int("hidden_size");
    cfg.frame_length = required_int("frame_length");
    cfg.activation = required_string("activation");
    cfg.normalization = required_string("normalization");
    if (f.has_attribute("/", "bidirectional")) {
        const long b = f.read_int_attribute("/", "bidirectional");
        if (b != 0 && b != 1)
            throw input_error(file + ": checkpoint attribute 'bidirectional' is " + std::to_string(b) + ", expected 0 or 1");
        cfg.bidirectional = b == 1;
    }
    // validate_config below refuses a value outside model/variant_list.hpp's wirings, naming the file.
    if (f.has_attribute("/", "wiring")) cfg.wiring = f.read_string_attribute("/", "wiring");
    epilstm::validate_config(cfg, file + ": checkpoint attributes");
    return cfg;
}

}  // namespace detail

/// Writes `params` (flat, column-major tensors in `layout`) and optionally Adam state, track
/// names, training progress, what the run kept out of training and the model's per-track
/// standardization to `path`, atomically. Throws shape_error when params, opt or track_names do not match
/// the layout / config, input_error for an unknown activation, normalization or wiring, io_error when the
/// file cannot be written; in each case a previous file at `path` is left as it was.
inline void write_checkpoint(const std::filesystem::path& path, const model_config& cfg, const parameter_layout& layout,
                             Eigen::Ref<const Eigen::VectorXf> params, const optimizer_state* opt = nullptr,
                             const std::vector<std::string>* track_names = nullptr,
                             const training_progress* progress = nullptr,
                             const training_provenance* provenance = nullptr,
                             const track_standardization* standardization = nullptr)
{
    const std::string file = path.string();
    epilstm::validate_config(cfg, file + ": cannot write checkpoint");
    const index_t p = layout.size();
    if (params.size() != p)
        throw shape_error(file + ": cannot write checkpoint: the parameter vector has " + std::to_string(params.size()) +
                          " elements, the layout expects " + std::to_string(p));
    if (opt && (opt->m.size() != p || opt->v.size() != p))
        throw shape_error(file + ": cannot write checkpoint: optimizer moments have " + std::to_string(opt->m.size()) + " and " +
                          std::to_string(opt->v.size()) + " elements, the layout expects " + std::to_string(p));
    if (opt && opt->step < 0)
        throw input_error(file + ": cannot write checkpoint: optimizer step is " + std::to_string(opt->step) + ", expected >= 0");
    if (track_names && !track_names->empty() && static_cast<index_t>(track_names->size()) != cfg.input_size)
        throw shape_error(file + ": cannot write checkpoint: " + std::to_string(track_names->size()) +
                          " track names for a model with input_size " + std::to_string(cfg.input_size));
    if (provenance) {
        for (const auto& c : provenance->heldout_chroms)
            if (c.empty()) throw input_error(file + ": cannot write checkpoint: an empty held-out chromosome name");
        for (const auto& r : provenance->validation_regions)
            if (r.empty()) throw input_error(file + ": cannot write checkpoint: an empty validation region name");
    }

    if (standardization && !standardization->empty())
        standardization->check(cfg.input_size, file + ": cannot write checkpoint");

    atomic_output_file out(path);
    out.write_string_attribute("/", "format", std::string(checkpoint_format));
    out.write_int_attribute("/", "version", checkpoint_version);
    out.write_int_attribute("/", "input_size", cfg.input_size);
    out.write_int_attribute("/", "hidden_size", cfg.hidden_size);
    out.write_int_attribute("/", "frame_length", cfg.frame_length);
    out.write_string_attribute("/", "activation", cfg.activation);
    out.write_string_attribute("/", "normalization", cfg.normalization);
    out.write_int_attribute("/", "bidirectional", cfg.bidirectional ? 1 : 0);
    out.write_string_attribute("/", "wiring", cfg.wiring);

    for (const tensor_desc& t : layout.tensors()) {
        if (t.name.empty()) throw input_error(file + ": cannot write checkpoint: the layout has a tensor without a name");
        if (t.rank == 2) {
            // Column-major view of the tensor; assigning it to a row-major matrix is the transpose of storage.
            const Eigen::Map<const Eigen::MatrixXf> m(params.data() + t.offset, t.rows, t.cols);
            const row_matrix rm = m;
            out.write_matrix(t.name, rm);
        } else if (t.rank == 1) {
            out.write_vector(t.name, params.segment(t.offset, t.rows));
        } else {
            throw input_error(file + ": cannot write checkpoint: tensor " + t.name + " has rank " + std::to_string(t.rank) +
                              ", expected 1 or 2");
        }
    }
    if (opt) {
        out.create_group("/optimizer");
        out.write_vector("/optimizer/m", opt->m);
        out.write_vector("/optimizer/v", opt->v);
        out.write_int_attribute("/optimizer", "step", opt->step);
    }
    if (track_names && !track_names->empty()) out.write_strings("/tracks", *track_names);
    if (standardization && !standardization->empty()) {
        out.create_group("/standardization");
        out.write_vector("/standardization/mean",
                         Eigen::Map<const Eigen::VectorXf>(standardization->mean.data(), cfg.input_size));
        out.write_vector("/standardization/sd", Eigen::Map<const Eigen::VectorXf>(standardization->sd.data(), cfg.input_size));
    }
    if (progress && progress->state) {
        const training_state& st = *progress->state;
        out.create_group("/training");
        out.write_int_attribute("/training", "epoch", st.epoch);
        out.write_int_attribute("/training", "batch", st.batch);
        out.write_float_attribute("/training", "loss_sum", st.loss_sum);
        out.write_float_attribute("/training", "weight_sum", st.weight_sum);
        out.write_int_attribute("/training", "streams", progress->schedule.streams);
        out.write_int_attribute("/training", "shuffle", progress->schedule.shuffle ? 1 : 0);
        out.write_string_attribute("/training", "seed", std::to_string(progress->schedule.seed));
        out.write_int_attribute("/training", "mix_frames", progress->schedule.mix_frames);
        out.write_float_attribute("/training", "lr_scale", st.lr_scale);
        out.write_float_attribute("/training", "best_validation", st.best_validation);
        out.write_int_attribute("/training", "best_epoch", st.best_epoch);
        out.write_int_attribute("/training", "epochs_since_best", st.epochs_since_best);
        std::vector<std::string> names;
        for (const auto& [name, carry] : st.carries) {
            out.write_matrix("/training/carry/" + std::to_string(names.size()),
                             Eigen::Map<const Eigen::MatrixXf>(carry.values.data(), carry.rows, carry.cols));
            names.push_back(name);
        }
        if (!names.empty()) out.write_strings("/training/carry_regions", names);
    }
    if (provenance) {
        out.write_strings(checkpoint_heldout_chroms_dataset, provenance->heldout_chroms);
        if (!provenance->validation_regions.empty())
            out.write_strings(checkpoint_validation_regions_dataset, provenance->validation_regions);
    }
    out.commit();
}

/// Reads only the model configuration (root attributes) of checkpoint `path`.
inline model_config read_checkpoint_config(const std::filesystem::path& path)
{
    const input_file f(path);
    return detail::read_checkpoint_config(f);
}

namespace detail {
inline training_provenance read_checkpoint_provenance(const input_file& f)
{
    training_provenance p;
    if (f.has_dataset(checkpoint_heldout_chroms_dataset)) p.heldout_chroms = f.read_strings(checkpoint_heldout_chroms_dataset);
    if (f.has_dataset(checkpoint_validation_regions_dataset))
        p.validation_regions = f.read_strings(checkpoint_validation_regions_dataset);
    return p;
}
}  // namespace detail

/// What checkpoint `path` records as kept out of training (/provenance): the held-out chromosomes
/// and the validation regions, each empty when it records none or has no such dataset.
inline training_provenance read_checkpoint_provenance(const std::filesystem::path& path)
{
    const input_file f(path);
    return detail::read_checkpoint_provenance(f);
}

/// Reads checkpoint `path`: its configuration, then every tensor of make_layout(config), each
/// checked for existence, rank, element type, shape and finiteness; then the optional optimizer
/// state, track names, training progress and held-out chromosomes.
inline checkpoint read_checkpoint(const std::filesystem::path& path,
                                  const std::function<parameter_layout(const model_config&)>& make_layout)
{
    const input_file f(path);
    const std::string file = f.path().string();
    checkpoint ck;
    ck.config = detail::read_checkpoint_config(f);
    const parameter_layout layout = make_layout(ck.config);
    const index_t p = layout.size();
    ck.params = Eigen::VectorXf::Zero(p);

    for (const tensor_desc& t : layout.tensors()) {
        const std::string name = detail::absolute_name(t.name);
        if (!f.has_dataset(name)) {
            const std::string expected = t.rank == 2 ? detail::expected_shape_string({t.rows, t.cols})
                                                     : detail::expected_shape_string({t.rows});
            throw input_error(file + ": dataset " + name + " is missing (this model needs it, float32 " + expected + ")");
        }
        if (t.rank == 2) {
            const row_matrix m = f.read_matrix(name, t.rows, t.cols);
            check_finite(m, path, name);
            Eigen::Map<Eigen::MatrixXf>(ck.params.data() + t.offset, t.rows, t.cols) = m;
        } else {
            const Eigen::VectorXf v = f.read_vector(name, t.rows);
            check_finite(v, path, name);
            ck.params.segment(t.offset, t.rows) = v;
        }
    }

    if (f.has("/optimizer")) {
        optimizer_state opt;
        opt.m = f.read_vector("/optimizer/m", p);
        opt.v = f.read_vector("/optimizer/v", p);
        if (!f.has_attribute("/optimizer", "step"))
            throw input_error(file + ": attribute 'step' of /optimizer is missing");
        opt.step = f.read_int_attribute("/optimizer", "step");
        if (opt.step < 0) throw input_error(file + ": attribute 'step' of /optimizer is " + std::to_string(opt.step) + ", expected >= 0");
        ck.optimizer = std::move(opt);
    }
    if (f.has("/tracks")) {
        ck.tracks = f.read_strings("/tracks");
        if (static_cast<index_t>(ck.tracks.size()) != ck.config.input_size)
            throw shape_error(file + ": dataset /tracks has " + std::to_string(ck.tracks.size()) +
                              " names but the model has input_size " + std::to_string(ck.config.input_size));
    }
    if (f.has_group("/standardization")) {
        const index_t D = ck.config.input_size;
        const Eigen::VectorXf mean = f.read_vector("/standardization/mean", D);
        const Eigen::VectorXf sd = f.read_vector("/standardization/sd", D);
        ck.standardization.mean.assign(mean.data(), mean.data() + D);
        ck.standardization.sd.assign(sd.data(), sd.data() + D);
        ck.standardization.check(D, file + ": /standardization");
    }
    if (f.has_group("/training")) {
        training_state st;
        auto attr = [&](const char* name) {
            if (!f.has_attribute("/training", name))
                throw input_error(file + ": attribute '" + std::string(name) + "' of /training is missing");
            return f.read_int_attribute("/training", name);
        };
        st.epoch = attr("epoch");
        st.batch = attr("batch");
        ck.schedule.streams = attr("streams");
        ck.schedule.shuffle = attr("shuffle") != 0;
        if (st.epoch < 0 || st.batch < 0 || ck.schedule.streams <= 0)
            throw input_error(file + ": /training has epoch " + std::to_string(st.epoch) + ", batch " +
                              std::to_string(st.batch) + ", streams " + std::to_string(ck.schedule.streams) +
                              " (expected epoch, batch >= 0 and streams > 0)");
        st.loss_sum = f.read_float_attribute("/training", "loss_sum");
        st.weight_sum = f.read_float_attribute("/training", "weight_sum");
        const std::string seed = f.read_string_attribute("/training", "seed");
        try {
            std::size_t used = 0;
            ck.schedule.seed = std::stoull(seed, &used);
            if (used != seed.size()) throw std::invalid_argument(seed);
        } catch (const std::exception&) {
            throw input_error(file + ": attribute 'seed' of /training is '" + seed + "', expected a decimal integer");
        }
        if (f.has_attribute("/training", "mix_frames")) ck.schedule.mix_frames = attr("mix_frames");
        if (f.has_attribute("/training", "lr_scale")) st.lr_scale = f.read_float_attribute("/training", "lr_scale");
        if (f.has_attribute("/training", "best_validation"))
            st.best_validation = f.read_float_attribute("/training", "best_validation");
        if (f.has_attribute("/training", "best_epoch")) st.best_epoch = attr("best_epoch");
        if (f.has_attribute("/training", "epochs_since_best")) st.epochs_since_best = attr("epochs_since_best");
        if (ck.schedule.mix_frames < 0 || !(st.lr_scale > 0) || st.best_epoch < 0 || st.epochs_since_best < 0)
            throw input_error(file + ": /training has mix_frames " + std::to_string(ck.schedule.mix_frames) +
                              ", lr_scale " + std::to_string(st.lr_scale) + ", best_epoch " +
                              std::to_string(st.best_epoch) + ", epochs_since_best " +
                              std::to_string(st.epochs_since_best) + " (expected >= 0, > 0, >= 0, >= 0)");
        if (f.has("/training/carry_regions")) {
            const auto names = f.read_strings("/training/carry_regions");
            const index_t H = ck.config.hidden_size;
            for (std::size_t i = 0; i < names.size(); ++i) {
                const std::string ds = "/training/carry/" + std::to_string(i);
                const row_matrix c = f.read_matrix(ds, H);
                check_finite(c, path, ds);
                carry_state cs{c.rows(), c.cols(), std::vector<float>(static_cast<std::size_t>(c.size()))};
                Eigen::Map<Eigen::MatrixXf>(cs.values.data(), c.rows(), c.cols()) = c;
                st.carries[names[i]] = std::move(cs);
            }
        }
        ck.training = std::move(st);
    }
    ck.provenance = detail::read_checkpoint_provenance(f);
    return ck;
}

}  // namespace epilstm::io
