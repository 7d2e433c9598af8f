// Tests for model/refined.hpp: track distances (one matrix, many regions, brute force), MDS on
// points that are 2-D, the initial placement, the cost against a numpy reference written from the
// definition (tests/reference/refined_cost.py), incremental cost == full recompute, hill climbing
// (never raises the cost, beats random placements, groups tracks of one latent signal), images.
#include <epilstm/model/refined.hpp>

#include <catch2/catch.hpp>

#include "../support/scratch.hpp"

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using epilstm::index_t;
using epilstm::refined_placement;
using epilstm::refined_rows;
using Catch::Matchers::Contains;
using epilstm::testing::message_of;
using temp_dir = epilstm::testing::temp_dir;

namespace {

/// Tracks that are noisy, scaled copies of 3 latent signals, interleaved (track t follows latent
/// t % 3) so that the index order does not already group them.
refined_rows latent_tracks(index_t n, index_t T, std::uint64_t seed, double noise = 0.3)
{
    epilstm::detail::splitmix64 g(seed);
    auto normal = [&] {  // Box-Muller
        const double u = g.uniform(1e-12, 1.0), v = g.uniform();
        return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
    };
    Eigen::MatrixXd latent(n, 3);
    for (index_t i = 0; i < n; ++i)
        for (int k = 0; k < 3; ++k) latent(i, k) = normal();
    refined_rows x(n, T);
    for (index_t t = 0; t < T; ++t) {
        const double scale = 1.0 + 0.2 * g.uniform();
        for (index_t i = 0; i < n; ++i) x(i, t) = static_cast<float>(scale * latent(i, t % 3) + noise * normal() + 2.0);
    }
    return x;
}

Eigen::MatrixXd brute_distances(const refined_rows& x)
{
    const Eigen::MatrixXd d = x.cast<double>();
    Eigen::MatrixXd out(x.cols(), x.cols());
    for (index_t i = 0; i < x.cols(); ++i)
        for (index_t j = 0; j < x.cols(); ++j) out(i, j) = (d.col(i) - d.col(j)).norm();
    return out;
}

void check_valid(const refined_placement& p, index_t T)
{
    REQUIRE(p.tracks() == T);
    REQUIRE(p.grid == epilstm::refined_grid_size(T));
    std::set<index_t> seen;
    for (index_t q : p.pixel) {
        CHECK(q >= 0);
        CHECK(q < p.grid * p.grid);
        seen.insert(q);
    }
    CHECK(static_cast<index_t>(seen.size()) == T);
}

bool have_numpy()
{
    return fs::exists("/usr/bin/python3") && std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("grid size is the integer ceiling of the square root")
{
    CHECK(epilstm::refined_grid_size(0) == 0);
    CHECK(epilstm::refined_grid_size(1) == 1);
    CHECK(epilstm::refined_grid_size(2) == 2);
    CHECK(epilstm::refined_grid_size(4) == 2);
    CHECK(epilstm::refined_grid_size(5) == 3);
    CHECK(epilstm::refined_grid_size(127) == 12);
    CHECK(epilstm::refined_grid_size(144) == 12);
    CHECK(epilstm::refined_grid_size(145) == 13);
}

TEST_CASE("track distances: one pass over blocks and regions equals brute force")
{
    const refined_rows x = latent_tracks(9000, 11, 1);  // more rows than one internal block
    const Eigen::MatrixXd want = brute_distances(x);
    const Eigen::MatrixXd one = epilstm::track_distances(x);
    CHECK((one - want).cwiseAbs().maxCoeff() <= 1e-9 * want.maxCoeff());
    CHECK(one.diagonal().isZero(0));
    CHECK(one.isApprox(one.transpose(), 0));

    std::vector<refined_rows> regions = {x.topRows(10), x.middleRows(10, 4000), x.bottomRows(4990)};
    const Eigen::MatrixXd many = epilstm::track_distances(regions);
    CHECK((many - want).cwiseAbs().maxCoeff() <= 1e-9 * want.maxCoeff());

    refined_rows bad = x.topRows(3);
    bad(1, 2) = std::nanf("");
    CHECK_THAT(message_of([&] { (void)epilstm::track_distances(bad); }), Contains("non-finite"));
    std::vector<refined_rows> ragged = {x.topRows(3), x.topRows(3).leftCols(10)};
    CHECK_THAT(message_of([&] { (void)epilstm::track_distances(ragged); }), Contains("region 1 have 10 tracks, expected 11"));
}

TEST_CASE("classical MDS recovers points that are 2-D, with a fixed sign")
{
    Eigen::MatrixXd pts(6, 2);
    pts << 0, 0, 3, 0, 0, 1, 3, 1, 1.5, 2, -1, 0.5;
    Eigen::MatrixXd d(6, 6);
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) d(i, j) = (pts.row(i) - pts.row(j)).norm();
    const Eigen::MatrixXd xy = epilstm::classical_mds(d);
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) CHECK(std::abs((xy.row(i) - xy.row(j)).norm() - d(i, j)) < 1e-9);
    for (int k = 0; k < 2; ++k) {
        index_t big = 0;
        xy.col(k).cwiseAbs().maxCoeff(&big);
        CHECK(xy(big, k) > 0);
    }
    CHECK(epilstm::classical_mds(d).isApprox(xy, 0));  // deterministic
}

TEST_CASE("initial placement: MDS ranks, nearest free pixel")
{
    // Nearest free pixel: ties go to the lowest row-major index.
    CHECK(epilstm::assign_nearest_free({4, 4, 4, 4, 4}, 3) == std::vector<index_t>{4, 1, 3, 5, 7});
    CHECK(epilstm::assign_nearest_free({0, 0, 0}, 2) == std::vector<index_t>{0, 1, 2});
    CHECK_THAT(message_of([] { (void)epilstm::assign_nearest_free({0, 0, 0, 0, 0}, 2); }), Contains("do not fit a 2x2 grid"));

    for (index_t T : {1, 2, 7, 30, 36}) {
        CAPTURE(T);
        const Eigen::MatrixXd d = epilstm::track_distances(latent_tracks(300, T, 2));
        const refined_placement p = epilstm::initial_refined_placement(d);
        check_valid(p, T);
        CHECK(p.cost == Approx(epilstm::refined_cost(d, p.grid, p.pixel)).margin(1e-15));
    }
    // Tracks on a line (1-D): MDS axis 0 orders them, so the rows follow the line.
    refined_rows line(4, 9);
    for (index_t t = 0; t < 9; ++t) line.col(t).setConstant(static_cast<float>(t * t));
    const refined_placement p = epilstm::initial_refined_placement(epilstm::track_distances(line));
    const bool up = p.pixel[0] / 3 == 0;
    for (index_t t = 0; t < 9; ++t) CHECK(p.pixel[static_cast<std::size_t>(t)] / 3 == (up ? t / 3 : 2 - t / 3));
}

TEST_CASE("the cost equals the numpy reference (tests/reference/refined_cost.py)")
{
    // scripts/install-deps.sh installs python3-numpy: without it this check fails rather than passing unseen.
    REQUIRE(have_numpy());
    temp_dir dir("epilstm-refined");
    // 30 tracks on a 6x6 grid (6 empty pixels): the MDS placement, the climbed one and a random one.
    const index_t n = 400, T = 30;
    const refined_rows x = latent_tracks(n, T, 3);
    const Eigen::MatrixXd d = epilstm::track_distances(x);
    const refined_placement init = epilstm::initial_refined_placement(d);
    const std::vector<refined_placement> cases = {init, epilstm::refined_hill_climb(d, init),
                                                  epilstm::random_refined_placement(d, 17)};
    for (std::size_t c = 0; c < cases.size(); ++c) {
        CAPTURE(c);
        const refined_placement& p = cases[c];
        const fs::path in = dir / ("in" + std::to_string(c) + ".txt"), out = dir / ("out" + std::to_string(c) + ".txt");
        {
            std::ofstream f(in);
            f << n << ' ' << T << ' ' << p.grid << '\n';
            for (index_t q : p.pixel) f << q << ' ';
            f << '\n';
            char buf[32];
            for (index_t i = 0; i < n; ++i) {
                for (index_t t = 0; t < T; ++t) {
                    std::snprintf(buf, sizeof buf, "%.9g ", static_cast<double>(x(i, t)));
                    f << buf;
                }
                f << '\n';
            }
        }
        const std::string cmd = "/usr/bin/python3 " + std::string(EPILSTM_SOURCE_DIR) + "/tests/reference/refined_cost.py " +
                                in.string() + " " + out.string();
        const int status = std::system(cmd.c_str());
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 0);
        std::ifstream r(out);
        double cost = -1;
        r >> cost;
        Eigen::MatrixXd dn(T, T);
        for (index_t i = 0; i < T; ++i)
            for (index_t j = 0; j < T; ++j) r >> dn(i, j);
        REQUIRE(r);
        CHECK(std::abs(p.cost - cost) <= 1e-9 * cost);
        CHECK((d - dn).cwiseAbs().maxCoeff() <= 1e-9 * dn.maxCoeff());
        epilstm::refined_cost_state s(d, p.grid, p.pixel);
        CHECK(std::abs(s.cost() - cost) <= 1e-9 * cost);
    }
}

TEST_CASE("incremental cost of every candidate move equals a full recompute")
{
    const index_t T = 23;  // 5x5 grid, 2 empty pixels: both swaps and moves
    const Eigen::MatrixXd d = epilstm::track_distances(latent_tracks(200, T, 4));
    const refined_placement start = epilstm::random_refined_placement(d, 5);
    epilstm::refined_cost_state s(d, start.grid, start.pixel);
    CHECK(std::abs(s.cost() - epilstm::refined_cost(d, start.grid, start.pixel)) < 1e-12);
    const index_t P = start.grid * start.grid;
    int moves = 0, swaps = 0;
    for (index_t t = 0; t < T; ++t)
        for (index_t q = 0; q < P; ++q) {
            std::vector<index_t> after = s.pixel();
            const index_t other = s.owner(q);
            if (other >= 0) after[static_cast<std::size_t>(other)] = after[static_cast<std::size_t>(t)], ++swaps;
            else ++moves;
            after[static_cast<std::size_t>(t)] = q;
            CHECK(std::abs(s.cost_after_move(t, q) - epilstm::refined_cost(d, start.grid, after)) < 1e-12);
        }
    CHECK(moves > 0);
    CHECK(swaps > 0);
    // A chain of applied moves stays equal to a full recompute.
    epilstm::detail::splitmix64 g(6);
    for (int k = 0; k < 200; ++k) {
        const auto t = static_cast<index_t>(g.next() % static_cast<std::uint64_t>(T));
        const auto q = static_cast<index_t>(g.next() % static_cast<std::uint64_t>(P));
        const double predicted = s.cost_after_move(t, q);
        s.move(t, q);
        CHECK(std::abs(s.cost() - predicted) < 1e-12);
        CHECK(std::abs(s.cost() - epilstm::refined_cost(d, s.grid(), s.pixel())) < 1e-12);
    }
    epilstm::validate_placement(refined_placement{s.grid(), s.pixel(), 0}, T, "after moves");
}

TEST_CASE("hill climbing lowers the cost, beats random placements and groups the latent signals")
{
    const index_t T = 30;
    const Eigen::MatrixXd d = epilstm::track_distances(latent_tracks(500, T, 7));
    const refined_placement init = epilstm::initial_refined_placement(d);
    std::vector<double> trace;
    const refined_placement p = epilstm::refined_hill_climb(d, init, {}, &trace);
    check_valid(p, T);
    REQUIRE(!trace.empty());
    CHECK(trace.front() < init.cost);
    for (std::size_t i = 1; i < trace.size(); ++i) CHECK(trace[i] <= trace[i - 1] + 1e-12);
    CHECK(std::abs(trace.back() - p.cost) < 1e-12);
    CHECK(p.cost <= init.cost);
    CHECK(p.cost == Approx(epilstm::refined_cost(d, p.grid, p.pixel)).margin(1e-15));
    CHECK(epilstm::refined_place(d).pixel == p.pixel);  // deterministic

    // A local minimum: no single neighbour move improves it.
    epilstm::refined_cost_state s(d, p.grid, p.pixel);
    for (index_t t = 0; t < T; ++t)
        for (index_t q = 0; q < p.pixels(); ++q) {
            const index_t from = p.pixel[static_cast<std::size_t>(t)];
            if (std::abs(q / p.grid - from / p.grid) <= 1 && std::abs(q % p.grid - from % p.grid) <= 1)
                CHECK(s.cost_after_move(t, q) >= s.cost() - 2e-12);
        }

    double best_random = 1e9;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        const refined_placement r = epilstm::random_refined_placement(d, 1000 + seed);
        check_valid(r, T);
        best_random = std::min(best_random, r.cost);
        // Climbing from a random start also never ends above where it began.
        if (seed < 5) CHECK(epilstm::refined_hill_climb(d, r).cost <= r.cost);
    }
    CHECK(p.cost < best_random);

    // Tracks of one latent signal end up closer on the grid than tracks of different ones.
    epilstm::refined_cost_state ps(d, p.grid, p.pixel);
    double same = 0, diff = 0;
    int ns = 0, nd = 0;
    for (index_t i = 0; i < T; ++i)
        for (index_t j = i + 1; j < T; ++j) {
            const double pd = ps.pixel_distance(p.pixel[static_cast<std::size_t>(i)], p.pixel[static_cast<std::size_t>(j)]);
            if (i % 3 == j % 3) same += pd, ++ns;
            else diff += pd, ++nd;
        }
    CHECK(same / ns < 0.7 * (diff / nd));

    epilstm::refined_options none;
    none.max_sweeps = 0;
    CHECK(epilstm::refined_hill_climb(d, init, none).pixel == init.pixel);
}

TEST_CASE("degenerate inputs: no tracks, one track, identical tracks")
{
    const refined_placement empty = epilstm::refined_place(Eigen::MatrixXd(0, 0));
    CHECK(empty.grid == 0);
    CHECK(empty.pixel.empty());
    const refined_placement one = epilstm::refined_place(Eigen::MatrixXd::Zero(1, 1));
    CHECK(one.grid == 1);
    CHECK(one.pixel == std::vector<index_t>{0});
    CHECK(one.cost == 0);
    const refined_placement same = epilstm::refined_place(Eigen::MatrixXd::Zero(5, 5));
    check_valid(same, 5);
    CHECK(same.cost == 1);
    CHECK_THAT(message_of([] { (void)epilstm::refined_place(Eigen::MatrixXd::Zero(2, 3)); }), Contains("expected square"));
}

TEST_CASE("to_image scatters tracks onto pixels, from_image gathers them back")
{
    const refined_rows x = latent_tracks(7, 5, 8);
    const refined_placement p{3, {4, 0, 8, 2, 6}, 0};
    const refined_rows img = epilstm::to_image(p, x);
    REQUIRE(img.rows() == 7);
    REQUIRE(img.cols() == 9);
    for (index_t t = 0; t < 5; ++t) CHECK(img.col(p.pixel[static_cast<std::size_t>(t)]) == x.col(t));
    for (index_t q : {1, 3, 5, 7}) CHECK(img.col(q).isZero(0));
    CHECK(epilstm::from_image(p, img) == x);

    CHECK_THAT(message_of([&] { (void)epilstm::to_image(p, x.leftCols(4)); }), Contains("rows have 4 tracks, the placement 5"));
    CHECK_THAT(message_of([&] { (void)epilstm::from_image(p, x); }), Contains("images have 5 pixels, expected 9"));
    CHECK_THAT(message_of([&] { (void)epilstm::to_image(refined_placement{3, {4, 0, 4, 2, 6}, 0}, x); }),
               Contains("tracks 0 and 2 share pixel 4"));
    CHECK_THAT(message_of([&] { (void)epilstm::to_image(refined_placement{3, {4, 0, 9, 2, 6}, 0}, x); }),
               Contains("track 2 has pixel 9, expected 0..8"));
    CHECK_THAT(message_of([&] { (void)epilstm::to_image(refined_placement{2, {3, 0, 1, 2, 6}, 0}, x); }),
               Contains("grid size 2 is too small for 5 tracks"));
}
