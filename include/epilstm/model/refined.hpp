// REFINED track placement (Bazgir et al. 2020, "REpresentation of Features as Images with
// NEighborhood Dependencies"; code: omidbazgirTTU/REFINED): the first half of the REFINED+CNN
// comparator (docs/COMPARATORS-SPEC.md, paper §3.3). The T tracks go onto a g×g grid,
// g = ⌈√T⌉, so that tracks whose signals are close are neighbours; each position's T values then
// form a g×g image (empty pixels 0) for a CNN. The CNN is not here.
//
// Steps (docs/comparators.md, "REFINED placement"):
//  1. Track distances: f_ij = ‖x_i − x_j‖₂, x_t the column of track t over the training positions.
//     One pass over the rows: per-column means and the centred scatter matrix S, merged block by
//     block (Chan et al.), in double; f_ij² = S_ii + S_jj − 2 S_ij + n (m_i − m_j)². O(n·T²).
//  2. Classical MDS to 2-D: B = −½ J F∘F J (J = I − 11ᵀ/T); coordinates v_k √max(λ_k, 0) of the two
//     largest eigenpairs; sign of each axis fixed so that its entry of largest magnitude (the first
//     such on ties) is positive.
//  3. Initial placement (REFINED's Toolbox.two_d_eq + Assign_features_to_pixels, simplified): the
//     rank r of a track on MDS axis 0 gives its row ⌊r·g/T⌋, on axis 1 its column (ties in a
//     coordinate ranked by track index). Tracks in index order take that pixel or, when taken, the
//     free pixel nearest to it in grid distance, ties to the lowest row-major index.
//  4. The cost. REFINED's paraHill.universial_corr is √(Σ(p − f)² / Σf²) over pairs, with p the
//     Euclidean distance between the two tracks' pixels in pixel units and f the raw track
//     distance, so it depends on the units of the signal. We normalize both distance sets to unit
//     Frobenius norm over the pairs i < j:
//         cost = Σ_{i<j} (p_ij/‖p‖ − f_ij/‖f‖)²  =  2 − 2 c,   c = Σ p f / (‖p‖ ‖f‖),
//     in [0, 2]; 0 when the pixel distances are a multiple of the track distances. It has the same
//     minimizer as REFINED's cost with the pixel distances optimally scaled (that one is √(1 − c²)).
//     ‖f‖ = 0 (all tracks equal) gives cost 1; fewer than two tracks, 0.
//  5. Hill climbing (paraHill's swap with the 8 neighbours, run sequentially): sweeps over the
//     tracks in index order; for each, the 8 neighbouring pixels (row-major order of the offsets)
//     are tried (an empty neighbour is a move, an occupied one a swap) and the best is taken when
//     it lowers the cost by more than 1e-12. A sweep that takes nothing, or max_sweeps, ends it.
//     A candidate costs O(T): only the pairs of the one or two moved tracks change, so the sums
//     Σpf and Σp² are updated (refined_cost_state), and recomputed exactly after every sweep.
//     A sweep is O(8 T²).
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/error.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace epilstm {

/// Rows [positions, T] in HDF5's (row-major) order, as io/ and eval/ hold signals.
using refined_rows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The grid side for T tracks: ⌈√T⌉ (0 for none), computed in integers.
inline index_t refined_grid_size(index_t tracks)
{
    if (tracks < 0) throw input_error("epilstm: REFINED: negative number of tracks");
    index_t g = static_cast<index_t>(std::sqrt(static_cast<double>(tracks)));
    while (g * g < tracks) ++g;
    while (g > 0 && (g - 1) * (g - 1) >= tracks) --g;
    return g;
}

/// The largest grid side accepted (16.8 million pixels per position's image; REFINED's own grid is
/// ⌈√T⌉, 32 for a thousand tracks): a larger one in a file is a damaged or foreign checkpoint.
inline constexpr index_t refined_max_grid = 4096;

/// Where each track sits on the grid.
struct refined_placement {
    index_t grid = 0;            ///< g: the image is g×g
    std::vector<index_t> pixel;  ///< [T] row-major pixel (row·g + column) of each track, all distinct
    double cost = 0;             ///< refined_cost of this placement (see the header comment)

    index_t tracks() const { return static_cast<index_t>(pixel.size()); }
    index_t pixels() const { return grid * grid; }
};

/// Throws input_error, prefixed by `where`, unless `p` places `tracks` tracks (tracks < 0: any
/// number) on distinct pixels of a grid of side at least ⌈√T⌉.
inline void validate_placement(const refined_placement& p, index_t tracks, const std::string& where)
{
    const index_t T = p.tracks();
    if (tracks >= 0 && T != tracks)
        throw input_error(where + ": the placement has " + std::to_string(T) + " tracks, expected " + std::to_string(tracks));
    if (p.grid > refined_max_grid)
        throw input_error(where + ": grid size " + std::to_string(p.grid) + " is larger than " +
                          std::to_string(refined_max_grid) + " (a " + std::to_string(refined_max_grid) + "² image per position)");
    if (p.grid < refined_grid_size(T))
        throw input_error(where + ": grid size " + std::to_string(p.grid) + " is too small for " + std::to_string(T) +
                          " tracks (expected at least ceil(sqrt(T)) = " + std::to_string(refined_grid_size(T)) + ")");
    std::vector<index_t> owner(static_cast<std::size_t>(p.pixels()), -1);
    for (index_t t = 0; t < T; ++t) {
        const index_t q = p.pixel[static_cast<std::size_t>(t)];
        if (q < 0 || q >= p.pixels())
            throw input_error(where + ": track " + std::to_string(t) + " has pixel " + std::to_string(q) + ", expected 0.." +
                              std::to_string(p.pixels() - 1));
        index_t& o = owner[static_cast<std::size_t>(q)];
        if (o >= 0)
            throw input_error(where + ": tracks " + std::to_string(o) + " and " + std::to_string(t) + " share pixel " +
                              std::to_string(q) + " (pixels must be distinct)");
        o = t;
    }
}

// ---------------------------------------------------------------- track distances

/// Euclidean distances between the T columns of rows fed to it block by block, in one pass.
class track_distance_accumulator {
public:
    explicit track_distance_accumulator(index_t tracks)
        : mean_(Eigen::VectorXd::Zero(tracks)), scatter_(Eigen::MatrixXd::Zero(tracks, tracks))
    {
        if (tracks < 0) throw input_error("epilstm: REFINED: negative number of tracks");
    }

    index_t tracks() const { return mean_.size(); }
    double positions() const { return n_; }

    /// Adds positions [m, T]; `what` names them in errors (non-finite values, wrong width).
    void add(Eigen::Ref<const refined_rows> rows, const std::string& what = "rows")
    {
        if (rows.cols() != tracks())
            throw shape_error("epilstm: REFINED: " + what + " have " + std::to_string(rows.cols()) + " tracks, expected " +
                              std::to_string(tracks()));
        constexpr index_t block = 4096;  // bounds the double copy
        for (index_t r0 = 0; r0 < rows.rows(); r0 += block) {
            const index_t m = std::min(block, rows.rows() - r0);
            Eigen::MatrixXd x = rows.middleRows(r0, m).cast<double>();
            if (!x.allFinite())
                throw input_error("epilstm: REFINED: " + what + " hold a non-finite value (rows " + std::to_string(r0) + ".." +
                                  std::to_string(r0 + m - 1) + ")");
            const Eigen::VectorXd mb = x.colwise().mean().transpose();
            x.rowwise() -= mb.transpose();
            const double nb = static_cast<double>(m), n = n_ + nb;
            const Eigen::VectorXd delta = mb - mean_;
            scatter_.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
            scatter_.selfadjointView<Eigen::Lower>().rankUpdate(delta, n_ * nb / n);
            mean_ += delta * (nb / n);
            n_ = n;
        }
    }

    /// [T, T], symmetric, zero diagonal.
    Eigen::MatrixXd distances() const
    {
        const index_t T = tracks();
        const Eigen::MatrixXd s = scatter_.selfadjointView<Eigen::Lower>();
        Eigen::MatrixXd d = Eigen::MatrixXd::Zero(T, T);
        for (index_t j = 0; j < T; ++j)
            for (index_t i = j + 1; i < T; ++i) {
                const double dm = mean_[i] - mean_[j];
                const double sq = s(i, i) + s(j, j) - 2 * s(i, j) + n_ * dm * dm;
                d(i, j) = d(j, i) = std::sqrt(std::max(0.0, sq));
            }
        return d;
    }

private:
    double n_ = 0;
    Eigen::VectorXd mean_;     ///< [T] column means so far
    Eigen::MatrixXd scatter_;  ///< [T, T] centred cross products; lower triangle
};

/// Distances between the track columns of rows [positions, T].
inline Eigen::MatrixXd track_distances(Eigen::Ref<const refined_rows> rows)
{
    track_distance_accumulator acc(rows.cols());
    acc.add(rows);
    return acc.distances();
}

/// Distances between the track columns over every position of `regions` (each [n_r, T]).
inline Eigen::MatrixXd track_distances(const std::vector<refined_rows>& regions)
{
    if (regions.empty()) throw input_error("epilstm: REFINED: no regions to compute track distances from");
    track_distance_accumulator acc(regions.front().cols());
    for (std::size_t r = 0; r < regions.size(); ++r) acc.add(regions[r], "region " + std::to_string(r));
    return acc.distances();
}

namespace detail {
inline void check_distances(const Eigen::MatrixXd& d)
{
    if (d.rows() != d.cols())
        throw shape_error("epilstm: REFINED: the distance matrix is " + std::to_string(d.rows()) + "x" +
                          std::to_string(d.cols()) + ", expected square");
    if (!d.allFinite()) throw input_error("epilstm: REFINED: the distance matrix holds a non-finite value");
}
}  // namespace detail

// ---------------------------------------------------------------- MDS and the initial placement

/// Classical (Torgerson) MDS of a distance matrix [T, T] to `dims` coordinates per point [T, dims].
inline Eigen::MatrixXd classical_mds(const Eigen::MatrixXd& distances, index_t dims = 2)
{
    detail::check_distances(distances);
    const index_t T = distances.rows();
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(T, dims);
    if (T == 0) return out;
    Eigen::MatrixXd b = -0.5 * distances.array().square().matrix();
    const Eigen::VectorXd row_mean = b.rowwise().mean();
    const double all_mean = row_mean.mean();
    b.colwise() -= row_mean;
    b.rowwise() -= row_mean.transpose();
    b.array() += all_mean;
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(b);
    if (es.info() != Eigen::Success) throw error("epilstm: REFINED: the MDS eigendecomposition did not converge");
    for (index_t k = 0; k < std::min(dims, T); ++k) {  // eigenvalues ascending: the largest last
        Eigen::VectorXd v = es.eigenvectors().col(T - 1 - k);
        index_t big = 0;
        for (index_t i = 1; i < T; ++i)
            if (std::abs(v[i]) > std::abs(v[big])) big = i;
        if (v[big] < 0) v = -v;
        out.col(k) = v * std::sqrt(std::max(0.0, es.eigenvalues()[T - 1 - k]));
    }
    return out;
}

namespace detail {
/// Row (axis 0) and column (axis 1) of each track from the ranks of its MDS coordinates.
inline std::vector<index_t> rank_pixels(const Eigen::MatrixXd& xy, index_t g)
{
    const index_t T = xy.rows();
    std::vector<index_t> rc[2];
    for (int axis = 0; axis < 2; ++axis) {
        std::vector<index_t> order(static_cast<std::size_t>(T));
        std::iota(order.begin(), order.end(), index_t{0});
        std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) { return xy(a, axis) < xy(b, axis); });
        rc[axis].assign(static_cast<std::size_t>(T), 0);
        for (index_t r = 0; r < T; ++r) rc[axis][static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] = r * g / T;
    }
    std::vector<index_t> target(static_cast<std::size_t>(T));
    for (std::size_t t = 0; t < target.size(); ++t) target[t] = rc[0][t] * g + rc[1][t];
    return target;
}
}  // namespace detail

/// Pixels for tracks that want the pixels `target` on a g×g grid: in track order, the wanted
/// pixel if free, else the free pixel nearest to it (squared grid distance; ties to the lowest
/// row-major index). O(T·g²).
inline std::vector<index_t> assign_nearest_free(const std::vector<index_t>& target, index_t g)
{
    const index_t P = g * g;
    if (static_cast<index_t>(target.size()) > P)
        throw input_error("epilstm: REFINED: " + std::to_string(target.size()) + " tracks do not fit a " + std::to_string(g) +
                          "x" + std::to_string(g) + " grid");
    std::vector<char> taken(static_cast<std::size_t>(P), 0);
    std::vector<index_t> pixel(target.size());
    for (std::size_t t = 0; t < target.size(); ++t) {
        const index_t want = target[t];
        if (want < 0 || want >= P) throw input_error("epilstm: REFINED: target pixel " + std::to_string(want) + " is off the grid");
        index_t best = -1, best_d = 0;
        for (index_t q = 0; q < P && best != want; ++q) {
            if (taken[static_cast<std::size_t>(q)]) continue;
            const index_t dr = q / g - want / g, dc = q % g - want % g, d = dr * dr + dc * dc;
            if (best < 0 || d < best_d) best = q, best_d = d;
        }
        taken[static_cast<std::size_t>(best)] = 1;
        pixel[t] = best;
    }
    return pixel;
}

// ---------------------------------------------------------------- the cost

/// The REFINED cost of `pixel` on a grid of side `grid` for track distances [T, T], computed from
/// its definition (header comment, step 4) over all pairs: O(T²). Does not validate the placement.
inline double refined_cost(const Eigen::MatrixXd& distances, index_t grid, const std::vector<index_t>& pixel)
{
    detail::check_distances(distances);
    const index_t T = distances.rows();
    if (static_cast<index_t>(pixel.size()) != T)
        throw shape_error("epilstm: REFINED: " + std::to_string(pixel.size()) + " pixels for " + std::to_string(T) + " tracks");
    if (T < 2) return 0;
    auto pix = [&](index_t i, index_t j) {
        const double dr = static_cast<double>(pixel[static_cast<std::size_t>(i)] / grid - pixel[static_cast<std::size_t>(j)] / grid);
        const double dc = static_cast<double>(pixel[static_cast<std::size_t>(i)] % grid - pixel[static_cast<std::size_t>(j)] % grid);
        return std::sqrt(dr * dr + dc * dc);
    };
    double pp = 0, ff = 0;
    for (index_t j = 0; j < T; ++j)
        for (index_t i = j + 1; i < T; ++i) {
            const double p = pix(i, j);
            pp += p * p;
            ff += distances(i, j) * distances(i, j);
        }
    const double np = std::sqrt(pp), nf = std::sqrt(ff);
    double cost = 0;
    for (index_t j = 0; j < T; ++j)
        for (index_t i = j + 1; i < T; ++i) {
            const double e = (np > 0 ? pix(i, j) / np : 0.0) - (nf > 0 ? distances(i, j) / nf : 0.0);
            cost += e * e;
        }
    return cost;
}

/// A placement with its cost sums Σpf and Σp² kept up to date, so that the cost after moving one
/// track (and the one it swaps with) is known in O(T). The distances must outlive it.
class refined_cost_state {
public:
    refined_cost_state(const Eigen::MatrixXd& distances, index_t grid, std::vector<index_t> pixel)
        : d_(distances), g_(grid), pixel_(std::move(pixel))
    {
        detail::check_distances(distances);
        validate_placement(refined_placement{g_, pixel_, 0}, distances.rows(), "epilstm: REFINED");
        owner_.assign(static_cast<std::size_t>(g_ * g_), -1);
        for (std::size_t t = 0; t < pixel_.size(); ++t) owner_[static_cast<std::size_t>(pixel_[t])] = static_cast<index_t>(t);
        dist_.resize(static_cast<std::size_t>(g_ * g_));
        for (index_t dr = 0; dr < g_; ++dr)
            for (index_t dc = 0; dc < g_; ++dc)
                dist_[static_cast<std::size_t>(dr * g_ + dc)] = std::sqrt(static_cast<double>(dr * dr + dc * dc));
        ff_ = 0;
        for (index_t j = 0; j < tracks(); ++j)
            for (index_t i = j + 1; i < tracks(); ++i) ff_ += d_(i, j) * d_(i, j);
        recompute();
    }

    index_t tracks() const { return static_cast<index_t>(pixel_.size()); }
    index_t grid() const { return g_; }
    const std::vector<index_t>& pixel() const { return pixel_; }
    /// The track on pixel q, or -1.
    index_t owner(index_t q) const { return owner_[static_cast<std::size_t>(q)]; }
    double cost() const { return cost_of(pf_, pp_); }

    /// The cost once track t is on pixel q (the track there, if any, taking t's pixel). O(T).
    double cost_after_move(index_t t, index_t q) const
    {
        double pf = pf_, pp = pp_;
        delta(t, q, pf, pp);
        return cost_of(pf, pp);
    }

    /// Moves track t to pixel q, swapping with the track there, if any.
    void move(index_t t, index_t q)
    {
        delta(t, q, pf_, pp_);
        const index_t from = pixel_[static_cast<std::size_t>(t)], other = owner(q);
        pixel_[static_cast<std::size_t>(t)] = q;
        owner_[static_cast<std::size_t>(q)] = t;
        owner_[static_cast<std::size_t>(from)] = other;
        if (other >= 0) pixel_[static_cast<std::size_t>(other)] = from;
    }

    /// Recomputes Σpf and Σp² from scratch (O(T²)), dropping rounding drift.
    void recompute()
    {
        pf_ = pp_ = 0;
        for (index_t j = 0; j < tracks(); ++j)
            for (index_t i = j + 1; i < tracks(); ++i) {
                const double p = pixel_distance(pixel_[static_cast<std::size_t>(i)], pixel_[static_cast<std::size_t>(j)]);
                pf_ += p * d_(i, j);
                pp_ += p * p;
            }
    }

    double pixel_distance(index_t a, index_t b) const
    {
        const index_t dr = a / g_ - b / g_, dc = a % g_ - b % g_;
        return dist_[static_cast<std::size_t>(std::abs(dr) * g_ + std::abs(dc))];
    }

private:
    double cost_of(double pf, double pp) const
    {
        if (tracks() < 2) return 0;
        if (!(ff_ > 0)) return 1;  // f/‖f‖ taken as 0: Σ(p/‖p‖)² = 1
        return std::max(0.0, 2 - 2 * pf / std::sqrt(pp * ff_));
    }

    /// Adds to pf, pp what moving t to q (and the owner of q to t's pixel) changes: the pairs of
    /// each moved track with every unmoved one; the pair of the two keeps its distance.
    void delta(index_t t, index_t q, double& pf, double& pp) const
    {
        const index_t from = pixel_[static_cast<std::size_t>(t)], other = owner(q);
        if (q == from) return;
        const auto dt = d_.col(t);
        for (index_t k = 0; k < tracks(); ++k) {
            if (k == t || k == other) continue;
            const index_t pk = pixel_[static_cast<std::size_t>(k)];
            const double before = pixel_distance(from, pk), after = pixel_distance(q, pk);
            pf += (after - before) * dt[k];
            pp += after * after - before * before;
            if (other >= 0) {
                pf += (before - after) * d_(k, other);
                pp += before * before - after * after;
            }
        }
    }

    const Eigen::MatrixXd& d_;
    index_t g_;
    std::vector<index_t> pixel_;
    std::vector<index_t> owner_;  ///< [g²] track on each pixel or -1
    std::vector<double> dist_;    ///< [g²] √(dr² + dc²) at dr·g + dc
    double ff_ = 0, pf_ = 0, pp_ = 0;
};

// ---------------------------------------------------------------- placing

struct refined_options {
    index_t max_sweeps = 200;  ///< hill-climbing sweeps at most (each visits every track once)
};

/// The MDS placement of step 3 on a ⌈√T⌉ grid, with its cost.
inline refined_placement initial_refined_placement(const Eigen::MatrixXd& distances)
{
    detail::check_distances(distances);
    const index_t T = distances.rows();
    refined_placement p;
    p.grid = refined_grid_size(T);
    if (T == 0) return p;
    p.pixel = assign_nearest_free(detail::rank_pixels(classical_mds(distances, 2), p.grid), p.grid);
    p.cost = refined_cost(distances, p.grid, p.pixel);
    return p;
}

/// Hill climbing from `start` (step 5). `accepted_costs`, when given, receives the cost after each
/// accepted move. The result's cost is recomputed from the definition.
inline refined_placement refined_hill_climb(const Eigen::MatrixXd& distances, const refined_placement& start,
                                            const refined_options& options = {}, std::vector<double>* accepted_costs = nullptr)
{
    if (options.max_sweeps < 0) throw input_error("epilstm: REFINED: max_sweeps is negative");
    refined_cost_state s(distances, start.grid, start.pixel);
    const index_t g = s.grid();
    for (index_t sweep = 0; sweep < options.max_sweeps; ++sweep) {
        bool moved = false;
        for (index_t t = 0; t < s.tracks(); ++t) {
            const index_t from = s.pixel()[static_cast<std::size_t>(t)], r = from / g, c = from % g;
            double best = s.cost();
            index_t best_q = -1;
            for (index_t dr = -1; dr <= 1; ++dr)
                for (index_t dc = -1; dc <= 1; ++dc) {
                    if ((dr == 0 && dc == 0) || r + dr < 0 || r + dr >= g || c + dc < 0 || c + dc >= g) continue;
                    const index_t q = (r + dr) * g + (c + dc);
                    const double cand = s.cost_after_move(t, q);
                    if (cand < best - 1e-12) best = cand, best_q = q;
                }
            if (best_q < 0) continue;
            s.move(t, best_q);
            moved = true;
            if (accepted_costs) accepted_costs->push_back(s.cost());
        }
        s.recompute();
        if (!moved) break;
    }
    refined_placement out{g, s.pixel(), 0};
    out.cost = refined_cost(distances, g, out.pixel);
    return out;
}

/// REFINED: the MDS placement, then hill climbing.
inline refined_placement refined_place(const Eigen::MatrixXd& distances, const refined_options& options = {},
                                       std::vector<double>* accepted_costs = nullptr)
{
    return refined_hill_climb(distances, initial_refined_placement(distances), options, accepted_costs);
}

/// A placement drawn uniformly at random on a ⌈√T⌉ grid (the baseline the tests compare with).
inline refined_placement random_refined_placement(const Eigen::MatrixXd& distances, std::uint64_t seed)
{
    detail::check_distances(distances);
    const index_t T = distances.rows();
    refined_placement p;
    p.grid = refined_grid_size(T);
    std::vector<index_t> all(static_cast<std::size_t>(p.pixels()));
    std::iota(all.begin(), all.end(), index_t{0});
    detail::splitmix64 gen(seed);
    for (std::size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[static_cast<std::size_t>(gen.next() % i)]);
    p.pixel.assign(all.begin(), all.begin() + T);
    p.cost = refined_cost(distances, p.grid, p.pixel);
    return p;
}

// ---------------------------------------------------------------- images

/// Rows [n, T] as images [n, g²] (row-major pixels; empty pixels 0).
inline refined_rows to_image(const refined_placement& p, Eigen::Ref<const refined_rows> rows)
{
    validate_placement(p, -1, "epilstm: REFINED to_image");
    if (rows.cols() != p.tracks())
        throw shape_error("epilstm: REFINED to_image: rows have " + std::to_string(rows.cols()) + " tracks, the placement " +
                          std::to_string(p.tracks()));
    refined_rows img = refined_rows::Zero(rows.rows(), p.pixels());
    for (index_t t = 0; t < p.tracks(); ++t) img.col(p.pixel[static_cast<std::size_t>(t)]) = rows.col(t);
    return img;
}

/// The inverse of to_image: images [n, g²] → rows [n, T] (what is on the empty pixels is dropped).
inline refined_rows from_image(const refined_placement& p, Eigen::Ref<const refined_rows> images)
{
    validate_placement(p, -1, "epilstm: REFINED from_image");
    if (images.cols() != p.pixels())
        throw shape_error("epilstm: REFINED from_image: images have " + std::to_string(images.cols()) + " pixels, expected " +
                          std::to_string(p.pixels()));
    refined_rows rows(images.rows(), p.tracks());
    for (index_t t = 0; t < p.tracks(); ++t) rows.col(t) = images.col(p.pixel[static_cast<std::size_t>(t)]);
    return rows;
}

}  // namespace epilstm
