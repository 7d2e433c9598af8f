// A full REFINED+CNN checkpoint: the REFINED part (io/refined_checkpoint.hpp) plus the CNN
// autoencoder (model/refined_cnn.hpp).
//
// File layout beyond the REFINED part (root attributes format, version, grid_size; /tracks/id;
// /refined/pixel):
//   /cnn              group; attributes embedding_size (E), channels1 (C1), channels2 (C2), int64;
//                     the grid is the root's grid_size
//   /cnn/<tensor>     float32, one dataset per tensor of refined_cnn's layout, matrices [rows, cols]
//                     row-major as written (the same logical matrix as in memory), vectors [n]:
//                     conv1/W [C1, 9], conv1/b [C1], conv2/W [C2, 9·C1], conv2/b [C2],
//                     encoder/W [E, C2·g²], encoder/b [E], decoder/W [C2·g², E], decoder/b [C2·g²],
//                     output/W [1, 9·C2], output/b [1]
// A conv weight's column c·9 + k is input channel c at tap k = (dr + 1)·3 + (dc + 1); the
// flattened feature index is p·C2 + c (pixel p row-major). The reader checks every shape against
// the attributes and every value for finiteness; each error names the file and the dataset or
// attribute.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/hdf5.hpp>
#include <epilstm/io/refined_checkpoint.hpp>
#include <epilstm/model/refined.hpp>
#include <epilstm/model/refined_cnn.hpp>

#include <Eigen/Core>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::io {

inline constexpr const char* refined_cnn_group = "/cnn";

/// Everything a REFINED+CNN checkpoint holds.
template <class T = float>
struct refined_cnn_checkpoint {
    std::vector<std::string> tracks;  ///< [T] track ids
    refined_placement placement;
    refined_cnn<T> model;
};

/// Writes tracks, placement and the CNN atomically. The CNN's grid must be the placement's.
template <class T>
void write_refined_cnn_checkpoint(const std::filesystem::path& path, const std::vector<std::string>& tracks,
                                  const refined_placement& p, const refined_cnn<T>& model)
{
    atomic_output_file out(path);
    const std::string where = out.target().string() + ": cannot write REFINED+CNN checkpoint";
    const refined_cnn_config& cfg = model.config();
    if (cfg.grid != p.grid)
        throw input_error(where + ": the CNN's grid is " + std::to_string(cfg.grid) + " but the placement's is " +
                          std::to_string(p.grid));
    if (!model.parameters().allFinite()) throw input_error(where + ": the CNN's parameters hold a non-finite value");
    write_refined_part(out, tracks, p);
    out.create_group(refined_cnn_group);
    out.write_int_attribute(refined_cnn_group, "embedding_size", cfg.embedding);
    out.write_int_attribute(refined_cnn_group, "channels1", cfg.channels1);
    out.write_int_attribute(refined_cnn_group, "channels2", cfg.channels2);
    for (const tensor_desc& t : model.layout().tensors()) {
        const std::string name = std::string(refined_cnn_group) + "/" + t.name;
        const Eigen::MatrixXf m =
            Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>(model.parameters().data() + t.offset, t.rows, t.cols)
                .template cast<float>();
        if (t.rank == 2)
            out.write_matrix(name, row_matrix(m));
        else
            out.write_vector(name, Eigen::Map<const Eigen::VectorXf>(m.data(), t.rows));
    }
    out.commit();
}

template <class T>
void write_refined_cnn_checkpoint(const std::filesystem::path& path, const refined_cnn_checkpoint<T>& c)
{
    write_refined_cnn_checkpoint(path, c.tracks, c.placement, c.model);
}

/// Reads and validates a REFINED+CNN checkpoint into a model of scalar T (the file is float32).
template <class T = float>
refined_cnn_checkpoint<T> read_refined_cnn_checkpoint(const std::filesystem::path& path)
{
    const input_file f(path);
    const std::string file = f.path().string();
    refined_checkpoint_part part = read_refined_part(f);
    const std::string group = refined_cnn_group;
    if (!f.has_group(group))
        throw input_error(file + ": group " + group + " is missing (the CNN; a checkpoint with the REFINED part only?)");
    refined_cnn_config cfg;
    cfg.grid = part.placement.grid;
    for (auto [attr, dst] : {std::pair<const char*, index_t*>{"embedding_size", &cfg.embedding},
                             std::pair<const char*, index_t*>{"channels1", &cfg.channels1},
                             std::pair<const char*, index_t*>{"channels2", &cfg.channels2}}) {
        if (!f.has_attribute(group, attr))
            throw input_error(file + ": attribute '" + std::string(attr) + "' of group " + group + " is missing");
        *dst = f.read_int_attribute(group, attr);
        if (*dst < 1)
            throw input_error(file + ": attribute '" + std::string(attr) + "' of group " + group + " is " +
                              std::to_string(*dst) + ", expected >= 1");
    }
    validate_refined_cnn_config(cfg, file + ": group " + group);
    // Every tensor's shape first, so that attributes that disagree with the datasets are an error,
    // not a huge allocation (tests/fuzz/fuzz_hdf5_files).
    const parameter_layout layout = refined_cnn<T>::layout_for(cfg);
    for (const tensor_desc& t : layout.tensors()) {
        const std::string name = group + "/" + t.name;
        if (!f.has_dataset(name)) continue;  // reported below
        const auto shape = f.shape(name);
        const std::vector<hsize_t> want = t.rank == 2 ? std::vector<hsize_t>{static_cast<hsize_t>(t.rows), static_cast<hsize_t>(t.cols)}
                                                      : std::vector<hsize_t>{static_cast<hsize_t>(t.rows)};
        if (shape != want)
            throw shape_error(file + ": dataset " + name + " has shape " + detail::shape_string(shape) + ", expected " +
                              detail::shape_string(want) + " (from grid_size and the attributes of " + group + ")");
    }
    refined_cnn<T> model(cfg);
    for (const tensor_desc& t : model.layout().tensors()) {
        const std::string name = group + "/" + t.name;
        if (!f.has_dataset(name))
            throw input_error(file + ": dataset " + name + " is missing (float32 " +
                              (t.rank == 2 ? "[" + std::to_string(t.rows) + ", " + std::to_string(t.cols) + "]"
                                           : "[" + std::to_string(t.rows) + "]") +
                              ")");
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> dst(model.parameters().data() + t.offset, t.rows, t.cols);
        if (t.rank == 2) {
            const row_matrix m = f.read_matrix(name, t.rows, t.cols);
            check_finite(m, f.path(), name);
            dst = m.cast<T>();
        } else {
            const Eigen::VectorXf v = f.read_vector(name, t.rows);
            check_finite(v, f.path(), name);
            dst = v.cast<T>();
        }
    }
    return refined_cnn_checkpoint<T>{std::move(part.tracks), std::move(part.placement), std::move(model)};
}

}  // namespace epilstm::io
