// Where a training run stands, beyond its parameters and optimizer moments: what a checkpoint
// saves so that a resumed run ends bit-identical to an uninterrupted one.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <map>
#include <string>

namespace epilstm {

struct training_state {
    long epoch = 0;              ///< epochs completed
    long batch = 0;              ///< batches done in the current epoch
    double loss_sum = 0;         ///< Σ loss·weight over the batches done in the current epoch
    double weight_sum = 0;
    /// Encoder hidden [H, B] of the streams of each region in progress, by region name.
    std::map<std::string, Eigen::MatrixXf> carries;
};

/// The schedule-defining options a run must resume with (they are checked on resume).
struct schedule_options {
    long streams = 64;
    bool shuffle = false;
    std::uint64_t seed = 0;
};

}  // namespace epilstm
