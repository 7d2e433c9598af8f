// One flat buffer for all parameters of a model, carved into named tensors (mlpack's habit).
// The optimizer and the gradient clip see one contiguous vector; cells see Eigen views into it.
//
// In memory every tensor is column-major (Eigen's and cuBLAS's convention). Checkpoints store them
// row-major as MODEL-SPEC.md requires; io/checkpoint.hpp does the transpose. Free of Eigen, so the
// device backends (nvcc) share this one offset rule.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <string>
#include <vector>

namespace epilstm {

/// One named tensor inside a flat parameter buffer.
struct tensor_desc {
    std::string name;  ///< HDF5 path below the root, e.g. "encoder/W_x"
    index_t rows = 0;
    index_t cols = 1;  ///< 1 for vectors
    int rank = 1;      ///< 1 (vector [rows]) or 2 (matrix [rows, cols])
    index_t offset = 0;

    index_t size() const { return rows * cols; }
};

/// The ordered list of tensors of a model and their offsets in the flat buffer.
class parameter_layout {
public:
    /// Appends a matrix [rows, cols]; returns its offset.
    index_t add_matrix(std::string name, index_t rows, index_t cols) { return add(std::move(name), rows, cols, 2); }
    /// Appends a vector [rows]; returns its offset.
    index_t add_vector(std::string name, index_t rows) { return add(std::move(name), rows, 1, 1); }

    const std::vector<tensor_desc>& tensors() const { return tensors_; }
    index_t size() const { return size_; }

    /// The tensor called `name`; throws epilstm::error when there is none.
    const tensor_desc& at(const std::string& name) const
    {
        for (const auto& t : tensors_)
            if (t.name == name) return t;
        throw error("epilstm: no parameter tensor named '" + name + "' in this model");
    }

private:
    index_t add(std::string name, index_t rows, index_t cols, int rank)
    {
        // Keep every tensor 16-float aligned so views start on a cache-line / AVX-512 boundary.
        constexpr index_t align = 16;
        size_ = (size_ + align - 1) / align * align;
        tensors_.push_back(tensor_desc{std::move(name), rows, cols, rank, size_});
        size_ += rows * cols;
        return tensors_.back().offset;
    }

    std::vector<tensor_desc> tensors_;
    index_t size_ = 0;
};

}  // namespace epilstm
