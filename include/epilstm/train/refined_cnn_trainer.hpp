// Training of the REFINED CNN autoencoder (model/refined_cnn.hpp): Adam (train/adam.hpp on the CPU
// device, PyTorch's update rule) over shuffled minibatches of positions. Deterministic: the order
// of the positions in each epoch is a Fisher–Yates shuffle from one splitmix64 stream seeded by
// options.seed, and the model's arithmetic is single-stream Eigen, so the same seed, data and
// model give bit-identical parameters.
#pragma once

#include <epilstm/backend/cpu/cpu_device.hpp>
#include <epilstm/config.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>
#include <epilstm/model/refined_cnn.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/adam_options.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace epilstm {

struct refined_cnn_train_options {
    index_t epochs = 10;
    index_t batch_size = 256;  ///< positions per Adam step (the last batch of an epoch may be smaller)
    std::uint64_t seed = 1;    ///< the shuffle stream
    adam_options adam{};
};

/// What a training run did.
struct refined_cnn_train_result {
    std::vector<double> epoch_loss;  ///< per epoch: the mean over its batches of the batch loss (before each step)
    long steps = 0;
};

/// Trains `model` in place on images [g², N] (one column per position) with the loss mask [g²]
/// (refined_pixel_mask). The model is not re-initialized: call model.initialize(seed) first.
template <class T>
refined_cnn_train_result train_refined_cnn(refined_cnn<T>& model, const Eigen::Ref<const typename refined_cnn<T>::matrix>& images,
                                           const Eigen::Ref<const typename refined_cnn<T>::vector>& mask,
                                           const refined_cnn_train_options& o = {})
{
    using matrix = typename refined_cnn<T>::matrix;
    using vector = typename refined_cnn<T>::vector;
    const index_t P = model.config().pixels(), N = images.cols();
    if (images.rows() != P)
        throw shape_error("epilstm: REFINED CNN training: images have " + std::to_string(images.rows()) + " pixels, expected " +
                          std::to_string(P));
    if (mask.size() != P)
        throw shape_error("epilstm: REFINED CNN training: the mask has " + std::to_string(mask.size()) + " entries, expected " +
                          std::to_string(P));
    if (o.epochs < 0) throw input_error("epilstm: REFINED CNN training: epochs is negative");
    if (o.batch_size < 1) throw input_error("epilstm: REFINED CNN training: batch_size must be >= 1");
    if (N == 0 && o.epochs > 0) throw input_error("epilstm: REFINED CNN training: no positions to train on");
    if (!images.allFinite()) throw input_error("epilstm: REFINED CNN training: the images hold a non-finite value");

    adam<T, cpu_device> opt(model.parameters().size(), o.adam);
    detail::splitmix64 rng(o.seed);
    std::vector<index_t> order(static_cast<std::size_t>(N));
    std::iota(order.begin(), order.end(), index_t{0});
    refined_cnn_train_result result;
    typename refined_cnn<T>::cache c;
    matrix batch;
    vector grad;
    for (index_t e = 0; e < o.epochs; ++e) {
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<std::size_t>(rng.next() % i)]);
        double sum = 0;
        index_t batches = 0;
        for (index_t b0 = 0; b0 < N; b0 += o.batch_size) {
            const index_t m = std::min(o.batch_size, N - b0);
            batch.resize(P, m);
            for (index_t j = 0; j < m; ++j) batch.col(j) = images.col(order[static_cast<std::size_t>(b0 + j)]);
            model.forward(batch, c);
            sum += static_cast<double>(model.backward(batch, mask, c, grad));
            opt.step(model.parameters(), grad);
            ++batches;
            ++result.steps;
        }
        result.epoch_loss.push_back(batches > 0 ? sum / static_cast<double>(batches) : 0.0);
    }
    return result;
}

/// The masked MSE of `model` over images [g², N], in chunks of `chunk` positions (no training).
template <class T>
double refined_cnn_loss(const refined_cnn<T>& model, const Eigen::Ref<const typename refined_cnn<T>::matrix>& images,
                        const Eigen::Ref<const typename refined_cnn<T>::vector>& mask, index_t chunk = 4096)
{
    const index_t N = images.cols();
    if (N == 0) return 0;
    if (chunk < 1) throw input_error("epilstm: REFINED CNN loss: chunk must be >= 1");
    typename refined_cnn<T>::cache c;
    double sum = 0;
    for (index_t b0 = 0; b0 < N; b0 += chunk) {
        const index_t m = std::min(chunk, N - b0);
        const typename refined_cnn<T>::matrix x = images.middleCols(b0, m);
        model.forward(x, c);
        sum += static_cast<double>(model.loss(x, mask, c)) * static_cast<double>(m);
    }
    return sum / static_cast<double>(N);
}

}  // namespace epilstm
