// One minibatch: frame k of each of B streams (MODEL-SPEC "Autoencoder over one frame"). Plain
// pointers only, free of Eigen, so every device backend (nvcc included) takes the same type; the
// pointers are in the memory of the device that reads the batch (a model's stage() copies a host
// batch to its device when the device has memory of its own).
#pragma once

#include <epilstm/config.hpp>

namespace epilstm {

template <class T>
struct frame_batch {
    index_t positions = 0;             ///< F, the longest frame in the batch
    index_t batch = 0;                 ///< B
    const T* x = nullptr;              ///< [D, F·B] column-major, position t of stream b in column t·B + b
    const T* weight = nullptr;         ///< [F·B] loss weight (0 excludes a position); null: 1 everywhere
    const index_t* lengths = nullptr;  ///< [B] valid positions of each stream (≤ F); past it: padding
    const T* h0 = nullptr;             ///< [H, B] carried encoder hidden; null: zeros (start of the streams)
};

}  // namespace epilstm
