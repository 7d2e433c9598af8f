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
    /// Encoder hidden of the streams of each region (or mixed segment group) in progress, by name.
    std::map<std::string, carry_state> carries;

    /// Across epochs (train/run.hpp: validation, learning-rate schedule, early stopping).
    double lr_scale = 1;           ///< the learning rate is the base rate times this
    double best_validation = -1;   ///< best validation MSE so far; < 0: none yet
    long best_epoch = 0;           ///< the epoch (1-based) that reached it
    long epochs_since_best = 0;    ///< epochs validated since, without improvement

    /// The state at the start of the next epoch: per-epoch fields reset, the rest kept.
    training_state next_epoch() const
    {
        training_state s = *this;
        ++s.epoch;
        s.batch = 0;
        s.loss_sum = s.weight_sum = 0;
        s.carries.clear();
        return s;
    }
};

/// The schedule-defining options a run must resume with (they are checked on resume).
struct schedule_options {
    long streams = 64;
    bool shuffle = false;
    std::uint64_t seed = 0;
    long mix_frames = 0;  ///< train_options::mix_frames (0: by region)
};

}  // namespace epilstm
