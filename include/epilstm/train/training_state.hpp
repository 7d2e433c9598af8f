// Where a training run stands, beyond its parameters and optimizer moments: what a checkpoint
// saves so that a resumed run ends bit-identical to an uninterrupted one. Free of Eigen (the
// trainer is compiled by nvcc for the GPU too).
#pragma once

#include <epilstm/config.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace epilstm {

/// The encoder hidden [H, B] of a region's streams between two of its frames, column-major.
struct carry_state {
    index_t rows = 0;           ///< H
    index_t cols = 0;           ///< B
    std::vector<float> values;  ///< rows · cols, column-major (stream b's hidden at b·H)

    bool operator==(const carry_state&) const = default;
};

struct training_state {
    long epoch = 0;              ///< epochs completed
    long batch = 0;              ///< batches done in the current epoch
    double loss_sum = 0;         ///< Σ loss·weight over the batches done in the current epoch
    double weight_sum = 0;
    /// Encoder hidden of the streams of each region in progress, by region name.
    std::map<std::string, carry_state> carries;
};

/// The schedule-defining options a run must resume with (they are checked on resume).
struct schedule_options {
    long streams = 64;
    bool shuffle = false;
    std::uint64_t seed = 0;
};

}  // namespace epilstm
