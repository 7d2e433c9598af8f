// Test support: reading the float64 datasets of the committed reference fixtures (tests/fixtures,
// written by the PyTorch and numpy references in tests/reference) and comparing against them.
#pragma once

#include <epilstm/io/hdf5.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace epilstm::testing {

using rowmajor_d = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Reads a 1-D or 2-D float64 dataset exactly (the expected values are computed in float64); a 1-D
/// dataset [n] is returned as [n, 1].
inline rowmajor_d read_double(const std::filesystem::path& file, const std::string& name)
{
    const io::input_file f(file);
    const auto shape = f.shape(name);
    if (shape.empty() || shape.size() > 2)
        throw std::runtime_error(file.string() + ": " + name + " is not a 1-D or 2-D dataset");
    const auto rows = static_cast<Eigen::Index>(shape[0]);
    const auto cols = shape.size() > 1 ? static_cast<Eigen::Index>(shape[1]) : Eigen::Index(1);
    rowmajor_d m(rows, cols);
    f.open_dataset(name).read(m.data(), H5::PredType::NATIVE_DOUBLE);
    return m;
}

/// max |a − e| / max |e|: the relative error of `a` against the expected `e` (same shape).
inline double max_rel(const Eigen::Ref<const rowmajor_d>& a, const Eigen::Ref<const rowmajor_d>& e)
{
    if (a.rows() != e.rows() || a.cols() != e.cols()) throw std::runtime_error("max_rel: shapes differ");
    return (a - e).cwiseAbs().maxCoeff() / std::max(e.cwiseAbs().maxCoeff(), 1e-30);
}

}  // namespace epilstm::testing
