// Per-track standardization: a model property stored in its checkpoint (/standardization/mean and
// /standardization/sd, io/checkpoint.hpp) and applied by every session (train/session.hpp).
//
// After asinh, tracks differ in spread, and the unweighted MSE is dominated by the widest ones.
// With a standardization the model sees z_d = (x_d − μ_d) / σ_d, where μ_d and σ_d are the mean and
// standard deviation of track d over the positions of the TRAINING regions that have data (missing
// positions excluded); its loss is the MSE of z, so every track weighs the same; its reconstructions
// are mapped back, x̂_d = ẑ_d σ_d + μ_d, so every output (reconstruct, embed's reconstruction,
// evaluate) is in the signal's own units. Positions missing in every track enter the encoder as
// z = 0 (the track means), as they carry weight 0 in the loss. A checkpoint without a
// standardization behaves exactly as before (MODEL-SPEC's `reconstruct` contract).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/error.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace epilstm {

struct track_standardization {
    std::vector<float> mean;  ///< μ_d, [D]
    std::vector<float> sd;    ///< σ_d, [D], all > 0

    bool empty() const { return mean.empty(); }
    index_t tracks() const { return static_cast<index_t>(mean.size()); }

    /// rows [n, D] row-major ← (rows − μ) / σ; rows of missing positions (missing[i] != 0) ← 0.
    template <class T> void apply(T* rows, index_t n, const std::uint8_t* missing = nullptr) const
    {
        const index_t D = tracks();
        for (index_t i = 0; i < n; ++i) {
            T* r = rows + i * D;
            const bool gone = missing && missing[i];
            for (index_t d = 0; d < D; ++d)
                r[d] = gone ? T(0) : static_cast<T>((r[d] - mean[std::size_t(d)]) / sd[std::size_t(d)]);
        }
    }
    /// cols [D, n] column-major (one position per column) ← cols σ + μ.
    template <class T> void undo(T* cols, index_t n) const
    {
        const index_t D = tracks();
        for (index_t i = 0; i < n; ++i)
            for (index_t d = 0; d < D; ++d) {
                T& v = cols[i * D + d];
                v = static_cast<T>(v * sd[std::size_t(d)] + mean[std::size_t(d)]);
            }
    }

    /// Throws input_error "<where>: ..." unless it has D tracks, finite means and finite σ > 0.
    void check(index_t D, const std::string& where) const
    {
        if (tracks() != D || static_cast<index_t>(sd.size()) != D)
            throw input_error(where + ": the standardization has " + std::to_string(mean.size()) + " means and " +
                              std::to_string(sd.size()) + " standard deviations, expected " + std::to_string(D));
        for (index_t d = 0; d < D; ++d)
            if (!std::isfinite(mean[std::size_t(d)]) || !std::isfinite(sd[std::size_t(d)]) || !(sd[std::size_t(d)] > 0))
                throw input_error(where + ": track " + std::to_string(d) + " has mean " +
                                  std::to_string(mean[std::size_t(d)]) + " and sd " + std::to_string(sd[std::size_t(d)]) +
                                  " (expected finite values and sd > 0)");
    }
};

/// μ and σ of every track over the positions of every region of `src` that have data, read
/// `chunk` positions at a time (float64 sums). A track with σ < 1e-6 (constant) gets σ = 1.
/// Throws input_error when no position has data.
inline track_standardization compute_standardization(const region_source<float>& src, index_t chunk = 1 << 15)
{
    const index_t D = src.tracks;
    std::vector<double> sum(static_cast<std::size_t>(D), 0.0), sq(static_cast<std::size_t>(D), 0.0);
    std::vector<float> rows;
    std::vector<std::uint8_t> miss;
    double n = 0;
    for (index_t r = 0; r < src.regions(); ++r) {
        const index_t N = src.positions[std::size_t(r)];
        for (index_t first = 0; first < N; first += chunk) {
            const index_t count = std::min(chunk, N - first);
            rows.resize(static_cast<std::size_t>(count * D));
            miss.assign(static_cast<std::size_t>(count), 0);
            src.read(r, first, count, rows.data(), miss.data());
            for (index_t i = 0; i < count; ++i) {
                if (miss[std::size_t(i)]) continue;
                const float* x = rows.data() + i * D;
                for (index_t d = 0; d < D; ++d) {
                    sum[std::size_t(d)] += x[d];
                    sq[std::size_t(d)] += double(x[d]) * double(x[d]);
                }
                n += 1;
            }
        }
    }
    if (n == 0) throw input_error("no position of the training regions has data: nothing to standardize on");
    track_standardization s;
    s.mean.resize(static_cast<std::size_t>(D));
    s.sd.resize(static_cast<std::size_t>(D));
    for (index_t d = 0; d < D; ++d) {
        const double mu = sum[std::size_t(d)] / n;
        const double var = std::max(0.0, sq[std::size_t(d)] / n - mu * mu);
        const double sd = std::sqrt(var);
        s.mean[std::size_t(d)] = static_cast<float>(mu);
        s.sd[std::size_t(d)] = sd < 1e-6 ? 1.0f : static_cast<float>(sd);
    }
    return s;
}

/// `src` read through the standardization (the returned source keeps copies of both).
inline region_source<float> standardized(const region_source<float>& src, const track_standardization& s)
{
    region_source<float> out = src;
    auto inner = std::make_shared<const region_source<float>>(src);
    auto st = std::make_shared<const track_standardization>(s);
    out.read = [inner, st](index_t region, index_t first, index_t count, float* rows, std::uint8_t* miss) {
        inner->read(region, first, count, rows, miss);
        st->apply(rows, count, miss);
    };
    return out;
}

}  // namespace epilstm
