// Avocado checkpoints (shared/docs/COMPARATORS-SPEC.md, "Avocado", "Checkpoint").
//
// File layout (float32 datasets, row-major; weights [out, in]):
//   root attributes   format = "avocado-checkpoint", version = 1 (int64)
//   /tracks/id, /tracks/cell_type, /tracks/assay   strings [T], the store's track order
//   /celltypes [C], /assays [A]                    strings, sorted (byte order), distinct
//   /celltype_factors [C, Fc]   /assay_factors [A, Fa]
//   /regions/<name>/genome_25 [n, F25], genome_250 [m10, F250], genome_5k [m200, F5k]
//                     m10 >= ⌊(n-1)/10⌋+1, m200 >= ⌊(n-1)/200⌋+1; group attributes chrom
//                     (string), start, end (int64)
//   /dense/<k>/W [N, N_(k-1)], /dense/<k>/b [N]     k = 0..L-1, N_(-1) = Fc+Fa+F25+F250+F5k
//   /out/W [1, N_(L-1)], /out/b [1]
// Every size is read from the dataset shapes. Other groups (optimizer state, training progress)
// may follow and are ignored here. This implementation keeps one width N for all hidden layers
// (avocado_config::units), as Avocado does; a file whose layers differ is refused with a clear
// shape_error.
//
// Reading validates everything the spec ties together and throws input_error / shape_error naming
// the file, the dataset and what was expected: missing datasets and attributes, wrong rank, track
// lists of different lengths, unsorted or repeated /celltypes or /assays, a track whose cell type
// or assay is not listed, factor widths that differ between regions, G250 / G5k with too few rows,
// /dense/0/W's input width ≠ the sum of the factor widths, a layer's input ≠ the previous layer's
// output, non-finite values. Files are written atomically (io::atomic_output_file).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/hdf5.hpp>
#include <epilstm/model/avocado.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace epilstm::io {

inline constexpr std::string_view avocado_checkpoint_format = "avocado-checkpoint";
inline constexpr long avocado_checkpoint_version = 1;

/// An Avocado model with its names: model.tracks()[t] indexes `celltypes` and `assays`.
template <class T = float>
struct avocado_checkpoint {
    std::vector<std::string> track_ids;  ///< [T] /tracks/id
    std::vector<std::string> celltypes;  ///< [C] sorted
    std::vector<std::string> assays;     ///< [A] sorted
    avocado_model<T> model;
};

namespace detail {

/// input_error "<what> ..." unless `names` is sorted in byte order without repeats or empty names.
inline void require_sorted_names(const std::vector<std::string>& names, const std::string& what)
{
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) throw input_error(what + " has an empty name at index " + std::to_string(i));
        if (i > 0 && !(names[i - 1] < names[i]))
            throw input_error(what + " is not sorted without repeats: '" + names[i - 1] +
                              "' (index " + std::to_string(i - 1) + ") then '" + names[i] + "' (index " + std::to_string(i) +
                              "); expected distinct names in byte order");
    }
}

/// The names of the children of group `group` (HDF5's name order).
inline std::vector<std::string> child_names(const input_file& f, const std::string& group)
{
    return translate_h5_errors(f.path(), "listing group " + group, [&] {
        const H5::Group g = f.h5().openGroup(group);
        std::vector<std::string> names;
        const hsize_t n = g.getNumObjs();
        for (hsize_t i = 0; i < n; ++i) names.push_back(g.getObjnameByIdx(i));
        return names;
    });
}

/// The shape [rows, cols] of a 2-D dataset; input_error for another rank.
inline std::vector<hsize_t> matrix_shape(const input_file& f, const std::string& name, const std::string& expected)
{
    const auto dims = f.shape(name);
    if (dims.size() != 2)
        throw input_error(f.path().string() + ": dataset " + name + " has rank " + std::to_string(dims.size()) +
                          " (shape " + shape_string(dims) + "), expected rank 2 with shape " + expected);
    return dims;
}

/// A float matrix [rows, cols] (negative = any), checked finite.
inline row_matrix read_finite_matrix(const input_file& f, const std::string& name, index_t rows = -1, index_t cols = -1)
{
    row_matrix m = f.read_matrix(name, rows, cols);
    check_finite(m, f.path(), name);
    return m;
}

/// The transposed, column-major copy of a row-major [R, F] dataset: [F, R], column r = row r.
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> as_columns(const row_matrix& m)
{
    return Eigen::Map<const Eigen::MatrixXf>(m.data(), m.cols(), m.rows()).template cast<T>();
}

}  // namespace detail

/// Reads an Avocado checkpoint into a model of scalar T (the file is float32).
template <class T = float>
avocado_checkpoint<T> read_avocado_checkpoint(const std::filesystem::path& path)
{
    const input_file f(path);
    const std::string file = path.string();

    // Format and version.
    if (!f.has_attribute("/", "format"))
        throw input_error(file + " is not an avocado checkpoint (root attribute 'format' missing)");
    const std::string format = f.read_string_attribute("/", "format");
    if (format != avocado_checkpoint_format)
        throw input_error(file + " is not an avocado checkpoint (attribute 'format' is '" + format + "', expected '" +
                          std::string(avocado_checkpoint_format) + "')");
    if (!f.has_attribute("/", "version")) throw input_error(file + ": avocado checkpoint attribute 'version' missing");
    const long version = f.read_int_attribute("/", "version");
    if (version != avocado_checkpoint_version)
        throw input_error(file + ": avocado checkpoint version " + std::to_string(version) +
                          " is not supported (this build reads version " + std::to_string(avocado_checkpoint_version) + ")");

    // Names.
    std::vector<std::string> ids = f.read_strings("/tracks/id");
    const std::vector<std::string> track_ct = f.read_strings("/tracks/cell_type");
    const std::vector<std::string> track_as = f.read_strings("/tracks/assay");
    if (ids.empty()) throw input_error(file + ": dataset /tracks/id is empty, expected at least one track");
    if (track_ct.size() != ids.size() || track_as.size() != ids.size())
        throw shape_error(file + ": /tracks/id has " + std::to_string(ids.size()) + " tracks but /tracks/cell_type has " +
                          std::to_string(track_ct.size()) + " and /tracks/assay " + std::to_string(track_as.size()) +
                          "; expected one entry per track in each");
    std::vector<std::string> celltypes = f.read_strings("/celltypes"), assays = f.read_strings("/assays");
    if (celltypes.empty()) throw input_error(file + ": dataset /celltypes is empty, expected at least one cell type");
    if (assays.empty()) throw input_error(file + ": dataset /assays is empty, expected at least one assay");
    detail::require_sorted_names(celltypes, file + ": dataset /celltypes");
    detail::require_sorted_names(assays, file + ": dataset /assays");
    std::vector<avocado_track> tracks;
    auto index_in = [&](const std::vector<std::string>& names, const std::string& value, const char* list,
                        const char* dataset, std::size_t t) {
        const auto it = std::lower_bound(names.begin(), names.end(), value);
        if (it == names.end() || *it != value)
            throw input_error(file + ": dataset " + dataset + " names '" + value + "' for track " + std::to_string(t) + " ('" +
                              ids[t] + "'), which is not in " + list);
        return static_cast<index_t>(it - names.begin());
    };
    for (std::size_t t = 0; t < ids.size(); ++t)
        tracks.push_back({index_in(celltypes, track_ct[t], "/celltypes", "/tracks/cell_type", t),
                          index_in(assays, track_as[t], "/assays", "/tracks/assay", t)});

    // Factor widths: cell types and assays, then the genome widths from the first region.
    const index_t C = static_cast<index_t>(celltypes.size()), A = static_cast<index_t>(assays.size());
    const row_matrix ct = detail::read_finite_matrix(f, "/celltype_factors", C, -1);
    const row_matrix as = detail::read_finite_matrix(f, "/assay_factors", A, -1);
    if (!f.has_group("/regions"))
        throw input_error(file + ": group /regions not found; expected one group per region with its genome factors");
    const std::vector<std::string> region_names = detail::child_names(f, "/regions");
    if (region_names.empty())
        throw input_error(file + ": group /regions is empty; expected at least one region (the genome factor widths "
                                 "are read from it)");
    const std::string first = "/regions/" + region_names.front();
    avocado_config cfg;
    cfg.celltypes = C;
    cfg.assays = A;
    cfg.celltype_factors = ct.cols();
    cfg.assay_factors = as.cols();
    cfg.genome_25_factors = static_cast<index_t>(detail::matrix_shape(f, first + "/genome_25", "[n, F25]")[1]);
    cfg.genome_250_factors = static_cast<index_t>(detail::matrix_shape(f, first + "/genome_250", "[m10, F250]")[1]);
    cfg.genome_5k_factors = static_cast<index_t>(detail::matrix_shape(f, first + "/genome_5k", "[m200, F5k]")[1]);

    // Dense layers: /dense/0 .. /dense/(L-1), nothing else under /dense.
    index_t layers = 0;
    if (f.has("/dense")) {
        if (!f.has_group("/dense")) throw input_error(file + ": /dense is not a group");
        const std::vector<std::string> children = detail::child_names(f, "/dense");
        layers = static_cast<index_t>(children.size());
        for (index_t k = 0; k < layers; ++k)
            if (!f.has_group("/dense/" + std::to_string(k)))
                throw input_error(file + ": group /dense/" + std::to_string(k) + " not found; /dense has " +
                                  std::to_string(layers) + " members, expected groups named 0.." + std::to_string(layers - 1));
    }
    cfg.layers = layers;
    validate_avocado_config(cfg, file);  // C, A and the widths (the units next)
    if (layers > 0) {
        const auto w0 = detail::matrix_shape(f, "/dense/0/W", "[N, Fc+Fa+F25+F250+F5k]");
        cfg.units = static_cast<index_t>(w0[0]);
        validate_avocado_config(cfg, file + ": dataset /dense/0/W");
        if (static_cast<index_t>(w0[1]) != cfg.input_size())
            throw shape_error(file + ": dataset /dense/0/W has shape " + detail::shape_string(w0) + ", expected [" +
                              std::to_string(cfg.units) + ", " + std::to_string(cfg.input_size()) +
                              "]: its input width must be the sum of the factor widths (cell type " +
                              std::to_string(cfg.celltype_factors) + " + assay " + std::to_string(cfg.assay_factors) +
                              " + genome " + std::to_string(cfg.genome_25_factors) + " + " +
                              std::to_string(cfg.genome_250_factors) + " + " + std::to_string(cfg.genome_5k_factors) + ")");
    }

    avocado_model<T> model(cfg, tracks);
    model.celltype_factors() = detail::as_columns<T>(ct);
    model.assay_factors() = detail::as_columns<T>(as);
    for (const tensor_desc& t : model.layout().tensors()) {
        const std::string name = "/" + t.name;
        if (t.rank == 2) {
            const row_matrix m = detail::read_finite_matrix(f, name, t.rows, t.cols);
            Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>(model.parameters().data() + t.offset, t.rows, t.cols) =
                m.cast<T>();
        } else {
            const Eigen::VectorXf v = f.read_vector(name, t.rows);
            check_finite(v, path, name);
            model.parameters().segment(t.offset, t.rows) = v.cast<T>();
        }
    }

    for (const std::string& name : region_names) {
        const std::string g = "/regions/" + name;
        if (!f.has_group(g)) throw input_error(file + ": " + g + " is not a group, expected a region's group");
        const row_matrix g25 = detail::read_finite_matrix(f, g + "/genome_25", -1, cfg.genome_25_factors);
        const index_t n = g25.rows();
        if (n < 1) throw shape_error(file + ": dataset " + g + "/genome_25 has no rows, expected n >= 1 positions");
        const row_matrix g250 = detail::read_finite_matrix(f, g + "/genome_250", -1, cfg.genome_250_factors);
        const row_matrix g5k = detail::read_finite_matrix(f, g + "/genome_5k", -1, cfg.genome_5k_factors);
        auto enough = [&](const row_matrix& m, const char* dataset, index_t need, const char* rule) {
            if (m.rows() < need)
                throw shape_error(file + ": dataset " + g + "/" + dataset + " has " + std::to_string(m.rows()) +
                                  " rows, expected at least " + std::to_string(need) + " (" + rule + ") for the " +
                                  std::to_string(n) + " positions of " + g + "/genome_25");
        };
        enough(g250, "genome_250", avocado_rows_250(n), "floor((n-1)/10)+1");
        enough(g5k, "genome_5k", avocado_rows_5k(n), "floor((n-1)/200)+1");
        avocado_region<T> r;
        r.name = name;
        r.chrom = f.read_string_attribute(g, "chrom");
        r.start = f.read_int_attribute(g, "start");
        r.end = f.read_int_attribute(g, "end");
        if (r.start < 0 || r.end <= r.start)
            throw input_error(file + ": region group " + g + " has start " + std::to_string(r.start) + " and end " +
                              std::to_string(r.end) + ", expected 0 <= start < end");
        r.genome_25 = detail::as_columns<T>(g25);
        r.genome_250 = detail::as_columns<T>(g250);
        r.genome_5k = detail::as_columns<T>(g5k);
        model.add_region(std::move(r));
    }
    return avocado_checkpoint<T>{std::move(ids), std::move(celltypes), std::move(assays), std::move(model)};
}

/// Writes `model` with its names to `path`, atomically. input_error / shape_error (before anything
/// is written; a previous file at `path` survives) when the names do not fit the model: not one id
/// per track, celltypes / assays not C / A sorted distinct names, a region name with '/', or a
/// non-finite value.
template <class T>
void write_avocado_checkpoint(const std::filesystem::path& path, const avocado_model<T>& model,
                              const std::vector<std::string>& track_ids, const std::vector<std::string>& celltypes,
                              const std::vector<std::string>& assays)
{
    const std::string file = path.string(), context = file + ": cannot write avocado checkpoint: ";
    const avocado_config& cfg = model.config();
    if (static_cast<index_t>(track_ids.size()) != model.track_count())
        throw shape_error(context + std::to_string(track_ids.size()) + " track ids for a model of " +
                          std::to_string(model.track_count()) + " tracks");
    if (static_cast<index_t>(celltypes.size()) != cfg.celltypes || static_cast<index_t>(assays.size()) != cfg.assays)
        throw shape_error(context + std::to_string(celltypes.size()) + " cell types and " + std::to_string(assays.size()) +
                          " assays for a model of " + std::to_string(cfg.celltypes) + " and " + std::to_string(cfg.assays));
    detail::require_sorted_names(celltypes, context + "the cell type list");
    detail::require_sorted_names(assays, context + "the assay list");
    for (const auto& id : track_ids)
        if (id.empty()) throw input_error(context + "an empty track id");
    if (model.regions().empty()) throw input_error(context + "the model has no region (the spec needs one for the widths)");
    for (const auto& r : model.regions())
        if (r.name.find('/') != std::string::npos || r.name == "." || r.name == "..")
            throw input_error(context + "region name '" + r.name + "' cannot be an HDF5 group name");
    auto finite = [&](const auto& m, const std::string& what) {
        if (!m.allFinite()) throw input_error(context + what + " has a non-finite value");
    };
    finite(model.parameters(), "the dense network");
    finite(model.celltype_factors(), "/celltype_factors");
    finite(model.assay_factors(), "/assay_factors");
    for (const auto& r : model.regions()) {
        finite(r.genome_25, "region '" + r.name + "' genome_25");
        finite(r.genome_250, "region '" + r.name + "' genome_250");
        finite(r.genome_5k, "region '" + r.name + "' genome_5k");
    }

    // A [F, R] column-major factor matrix is, element for element, the row-major [R, F] dataset.
    auto as_rows = [](const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& m) {
        const Eigen::MatrixXf f = m.template cast<float>();
        return row_matrix(Eigen::Map<const row_matrix>(f.data(), f.cols(), f.rows()));
    };
    std::vector<std::string> track_ct, track_as;
    for (const avocado_track& t : model.tracks()) {
        track_ct.push_back(celltypes[static_cast<std::size_t>(t.celltype)]);
        track_as.push_back(assays[static_cast<std::size_t>(t.assay)]);
    }

    atomic_output_file out(path);
    out.write_string_attribute("/", "format", std::string(avocado_checkpoint_format));
    out.write_int_attribute("/", "version", avocado_checkpoint_version);
    out.write_strings("/tracks/id", track_ids);
    out.write_strings("/tracks/cell_type", track_ct);
    out.write_strings("/tracks/assay", track_as);
    out.write_strings("/celltypes", celltypes);
    out.write_strings("/assays", assays);
    out.write_matrix("/celltype_factors", as_rows(model.celltype_factors()));
    out.write_matrix("/assay_factors", as_rows(model.assay_factors()));
    out.create_group("/regions");
    for (const auto& r : model.regions()) {
        const std::string g = "/regions/" + r.name;
        out.create_group(g);
        out.write_string_attribute(g, "chrom", r.chrom);
        out.write_int_attribute(g, "start", r.start);
        out.write_int_attribute(g, "end", r.end);
        out.write_matrix(g + "/genome_25", as_rows(r.genome_25));
        out.write_matrix(g + "/genome_250", as_rows(r.genome_250));
        out.write_matrix(g + "/genome_5k", as_rows(r.genome_5k));
    }
    if (cfg.layers > 0) out.create_group("/dense");
    for (const tensor_desc& t : model.layout().tensors()) {
        if (t.rank == 2) {
            const Eigen::MatrixXf m =
                Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>(model.parameters().data() + t.offset, t.rows,
                                                                                  t.cols)
                    .template cast<float>();
            out.write_matrix("/" + t.name, row_matrix(m));
        } else {
            out.write_vector("/" + t.name, model.parameters().segment(t.offset, t.rows).template cast<float>());
        }
    }
    out.commit();
}

/// write_avocado_checkpoint of a checkpoint's model and names.
template <class T>
void write_avocado_checkpoint(const std::filesystem::path& path, const avocado_checkpoint<T>& c)
{
    write_avocado_checkpoint(path, c.model, c.track_ids, c.celltypes, c.assays);
}

}  // namespace epilstm::io
