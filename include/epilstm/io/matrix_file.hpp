// Signal matrices in and embeddings/reconstructions out (docs/MODEL-SPEC.md, "Reference entry point").
//
// Input X.h5:  /signal [N, D] float32 (float64 accepted), transformed, finite; optional attribute
//              `tracks` on /signal (D strings); optional /missing [N] uint8 (or bool), nonzero where
//              a position has no data in any track.
// Output Y.h5: /embedding [N, H] and /reconstruction [N, D] float32, written atomically.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/hdf5.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace epilstm::io {

/// Reads `dataset` ([N, D], floating point) of `path`, checks that every value is finite and, when
/// expected_cols >= 0, that D == expected_cols (the model's input_size).
inline row_matrix read_signal(const std::filesystem::path& path, const std::string& dataset = "/signal",
                              index_t expected_cols = -1)
{
    const input_file f(path);
    const std::string name = detail::absolute_name(dataset);
    const std::vector<hsize_t> dims = f.shape(name);
    if (dims.size() == 2 && expected_cols >= 0 && dims[1] != static_cast<hsize_t>(expected_cols))
        throw shape_error(f.path().string() + ": dataset " + name + " has shape " + detail::shape_string(dims) +
                          " but the model expects " + std::to_string(expected_cols) + " tracks (input_size)");
    row_matrix m = f.read_matrix(name, -1, expected_cols);
    check_finite(m, path, name);
    return m;
}

/// The `tracks` attribute of `dataset` (one name per column), or empty when it has none.
inline std::vector<std::string> read_track_names(const std::filesystem::path& path, const std::string& dataset = "/signal")
{
    const input_file f(path);
    const std::string name = detail::absolute_name(dataset);
    if (!f.has_attribute(name, "tracks")) return {};
    std::vector<std::string> tracks = f.read_string_array_attribute(name, "tracks");
    const std::vector<hsize_t> dims = f.shape(name);
    if (dims.size() == 2 && tracks.size() != dims[1])
        throw shape_error(f.path().string() + ": attribute 'tracks' of " + name + " has " + std::to_string(tracks.size()) +
                          " names but the dataset has " + std::to_string(dims[1]) + " columns");
    return tracks;
}

/// The `dataset` flags ([N] uint8 or bool, nonzero = missing), or empty when the file has none.
/// expected_rows >= 0 checks N.
inline std::vector<std::uint8_t> read_missing(const std::filesystem::path& path, index_t expected_rows = -1,
                                              const std::string& dataset = "/missing")
{
    const input_file f(path);
    if (!f.has(dataset)) return {};
    return f.read_uint8_vector(dataset, expected_rows);
}

/// A dataset to write: a name and a float matrix or vector. Vectors (compile-time one column)
/// become 1-D datasets [N]; everything else is 2-D [rows, cols]. A contiguous row-major float
/// matrix is referenced (it must outlive the write); anything else is copied.
class named_dataset {
public:
    template <class Derived>
    named_dataset(std::string name, const Eigen::MatrixBase<Derived>& m) : name_(std::move(name))
    {
        using D = std::decay_t<Derived>;
        rank_ = D::ColsAtCompileTime == 1 ? 1 : 2;
        rows_ = m.rows();
        cols_ = m.cols();
        if constexpr (std::is_same_v<typename D::Scalar, float> && (D::Flags & Eigen::DirectAccessBit) &&
                      (D::Flags & Eigen::RowMajorBit)) {
            if (m.derived().innerStride() == 1 && (m.derived().outerStride() == m.cols() || m.rows() <= 1)) {
                data_ = m.derived().data();
                return;
            }
        }
        if constexpr (D::ColsAtCompileTime == 1 && std::is_same_v<typename D::Scalar, float> &&
                      bool(D::Flags & Eigen::DirectAccessBit)) {
            if (m.derived().innerStride() == 1) {
                data_ = m.derived().data();
                return;
            }
        }
        owned_ = std::make_shared<const row_matrix>(m.template cast<float>());
        data_ = owned_->data();
    }

    const std::string& name() const { return name_; }
    int rank() const { return rank_; }
    index_t rows() const { return rows_; }
    index_t cols() const { return cols_; }
    const float* data() const { return data_; }

private:
    std::string name_;
    int rank_ = 2;
    index_t rows_ = 0, cols_ = 0;
    const float* data_ = nullptr;
    std::shared_ptr<const row_matrix> owned_;  // shared, so copies keep data_ valid
};

/// Writes every dataset of `datasets` (float32) to `path`, atomically.
inline void write_matrices(const std::filesystem::path& path, const std::vector<named_dataset>& datasets,
                           const write_options& opt = {})
{
    atomic_output_file out(path);
    for (const named_dataset& d : datasets) {
        if (d.rank() == 1)
            out.write_vector(d.name(), Eigen::Map<const Eigen::VectorXf>(d.data(), d.rows()), opt);
        else
            out.write_matrix(d.name(), Eigen::Map<const row_matrix>(d.data(), d.rows(), d.cols()), opt);
    }
    out.commit();
}

/// Writes /embedding [N, H] and /reconstruction [N, D] (float32) to `path`, atomically; both must
/// have the same number of rows.
inline void write_reconstruction(const std::filesystem::path& path, Eigen::Ref<const row_matrix> embedding,
                                 Eigen::Ref<const row_matrix> reconstruction, const write_options& opt = {})
{
    if (embedding.rows() != reconstruction.rows())
        throw shape_error(path.string() + ": cannot write: /embedding has " + std::to_string(embedding.rows()) +
                          " rows but /reconstruction has " + std::to_string(reconstruction.rows()));
    atomic_output_file out(path);
    out.write_matrix("/embedding", embedding, opt);
    out.write_matrix("/reconstruction", reconstruction, opt);
    out.commit();
}

}  // namespace epilstm::io
