// Data-parallel training (train_options::group; docs/distributed.md) with ranks as threads
// (tests/support/thread_group.hpp): P ranks sharing a minibatch's streams train the same model as
// one process, every rank holds the same parameters bit for bit, a state gathered under one P
// resumes under another, and a rank that cannot read its streams stops every rank with its error.
// The MPI program is tested end to end by tests/cli/test_mpi.sh.
#include "../support/thread_group.hpp"

#include <epilstm/model/variants.hpp>
#include <epilstm/train/trainer.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <mutex>
#include <random>

using namespace epilstm;
using epilstm::testing::thread_group;

namespace {

template <class T>
using rowmajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Three regions of different lengths in memory (some positions missing), as a region_source.
template <class T>
struct three_regions {
    std::vector<rowmajor<T>> x;
    std::vector<std::vector<std::uint8_t>> missing;
    region_source<T> src;
    /// reads of positions ≥ fail_from of region `fail_region` throw (a damaged part of a store)
    index_t fail_region = -1, fail_from = 0;
    explicit three_regions(index_t D)
    {
        std::mt19937 rng(5);
        std::exponential_distribution<double> e(1.0);
        for (index_t n : {230, 95, 410}) {
            rowmajor<T> m(n, D);
            for (index_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(std::asinh(e(rng)));
            x.push_back(m);
            std::vector<std::uint8_t> miss;
            for (index_t i = 0; i < n; ++i) miss.push_back(i >= 40 && i < 52 ? 1 : 0);
            missing.push_back(miss);
        }
        src.tracks = D;
        src.names = {"a", "b", "c"};
        for (const auto& m : x) src.positions.push_back(m.rows());
        src.read = [this](index_t r, index_t first, index_t count, T* out, std::uint8_t* miss) {
            if (r == fail_region && first + count > fail_from)
                throw io_error("store.h5: /regions/c/signal: checksum mismatch, the file is damaged");
            const auto& m = x[static_cast<std::size_t>(r)];
            std::memcpy(out, m.data() + first * m.cols(), sizeof(T) * static_cast<std::size_t>(count * m.cols()));
            std::memcpy(miss, missing[static_cast<std::size_t>(r)].data() + first, static_cast<std::size_t>(count));
        };
    }
};

template <class M>
M fresh_model(index_t D)
{
    M m(D, 5, 20);
    m.initialize(3);
    return m;
}

template <class V>
double max_abs_diff(const V& a, const V& b)
{
    double d = 0;
    for (Eigen::Index i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - double(b[i])));
    return d;
}

template <class V>
bool same_bits(const V& a, const V& b)
{
    return a.size() == b.size() &&
           std::memcmp(a.data(), b.data(), sizeof(typename V::Scalar) * static_cast<std::size_t>(a.size())) == 0;
}

/// A state gathered from ranks holds the carries one process holds: the same streams, the same
/// layout (one column per stream), the same values within `tol`.
void check_same_carries(const training_state& gathered, const training_state& single, double tol)
{
    REQUIRE(gathered.carries.size() == single.carries.size());
    for (const auto& [name, c] : single.carries) {
        INFO("carry of " << name);
        const auto& g = gathered.carries.at(name);
        REQUIRE(g.rows == c.rows);
        REQUIRE(g.cols == c.cols);
        REQUIRE(g.values.size() == c.values.size());
        for (std::size_t i = 0; i < c.values.size(); ++i) CHECK(std::abs(g.values[i] - c.values[i]) < tol);
    }
}

/// One epoch of a fresh model stopped after `stop` batches, as one process (P = 1) or as P ranks
/// (threads): the state a checkpoint then holds (gathered from every rank), rank 0's parameters and
/// Adam moments, and whether the epoch ended before the stop on any rank.
template <class M>
struct stopped_run {
    training_state state;
    typename M::vector params, m1, m2;
    long steps = 0;
    bool completed = false;
};

template <class M, class T>
stopped_run<M> stop_after(const three_regions<T>& data, const train_options& o, index_t D, int P, long stop)
{
    stopped_run<M> out;
    std::mutex mu;
    auto run = [&](communicator* c) {
        M m = fresh_model<M>(D);
        train_options oo = o;
        oo.group = c;
        trainer<M> t(m, oo);
        long n = 0;
        const bool completed = t.train_epoch(data.src, {}, [&](const trainer<M>&) { return ++n < stop; }).completed;
        training_state s = t.checkpoint_state();  // collective: every rank
        std::lock_guard<std::mutex> lock(mu);
        out.completed = out.completed || completed;
        if (c && c->rank() != 0) return;
        out.state = std::move(s);
        out.params = m.parameters();
        out.m1 = t.optimizer().first_moment();
        out.m2 = t.optimizer().second_moment();
        out.steps = t.optimizer().steps();
    };
    if (P == 1) {
        run(nullptr);
    } else {
        thread_group g(P);
        g.run([&](thread_group::member& c) { run(&c); });
    }
    return out;
}

}  // namespace

TEST_CASE("the streams of a minibatch split over ranks contiguously and completely", "[parallel]")
{
    for (index_t B : {1, 2, 5, 64})
        for (int P : {1, 2, 3, 8}) {
            index_t next = 0;
            for (int r = 0; r < P; ++r) {
                const auto [a, b] = rank_share(B, r, P);
                CHECK(a == next);
                CHECK(b - a >= B / P);
                CHECK(b - a <= (B + P - 1) / P);
                next = b;
            }
            CHECK(next == B);
        }
}

TEMPLATE_TEST_CASE("P ranks train the model one process trains, with identical replicas", "[parallel][train]", double,
                   float)
{
    using T = TestType;
    using M = softsign_layer_norm<T>;
    const index_t D = 4;
    three_regions<T> data(D);
    // float: the ranks' partial gradients are summed in another order than one process's GEMMs,
    // ≈ 1e-7 relative per step, and Adam's m/√v turns such differences into steps of at most about
    // lr · 1e-7 / √v; after 2 epochs (26 steps) of lr 1e-2, 1e-4 covers it with room. double: 1e-10.
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    for (index_t mix : {index_t(0), index_t(2)}) {
        train_options o;
        o.streams = 5;
        o.mix_frames = mix;
        o.shuffle = true;
        o.seed = 11;
        o.adam.learning_rate = 1e-2;
        M ref = fresh_model<M>(D);
        trainer<M> one(ref, o);
        double ref_loss = 0;
        for (int e = 0; e < 2; ++e) ref_loss = one.train_epoch(data.src).loss;
        REQUIRE(max_abs_diff(ref.parameters(), fresh_model<M>(D).parameters()) > 1e-3);  // it trained

        for (int P : {2, 3}) {
            INFO("P = " << P << ", mix_frames " << mix);
            thread_group g(P);
            std::vector<typename M::vector> params(static_cast<std::size_t>(P));
            std::vector<double> losses(static_cast<std::size_t>(P));
            g.run([&](thread_group::member& c) {
                M m = fresh_model<M>(D);
                train_options oo = o;
                oo.group = &c;
                oo.check_replicas = true;  // throws on every rank if a step leaves them different
                trainer<M> t(m, oo);
                for (int e = 0; e < 2; ++e) losses[std::size_t(c.rank())] = t.train_epoch(data.src).loss;
                params[std::size_t(c.rank())] = m.parameters();
            });
            for (int r = 1; r < P; ++r) {
                CHECK(same_bits(params[std::size_t(r)], params[0]));
                CHECK(losses[std::size_t(r)] == losses[0]);
            }
            CHECK(max_abs_diff(params[0], ref.parameters()) < tol);
            CHECK(std::abs(losses[0] - ref_loss) < tol * 10);
        }
    }
}

TEST_CASE("a state gathered under one rank count resumes under another", "[parallel][resume]")
{
    using M = softsign_layer_norm<double>;
    const index_t D = 4;
    three_regions<double> data(D);
    train_options o;
    o.streams = 5;
    o.shuffle = true;
    o.seed = 2;
    o.shuffle_run = 1;  // regions interleaved frame by frame: carries in progress at the stop
    o.adam.learning_rate = 1e-2;
    M ref = fresh_model<M>(D);
    trainer<M> one(ref, o);
    // The single process stopped at the same batch: the carries a checkpoint would hold.
    const training_state single_state = stop_after<M>(data, o, D, 1, 6).state;
    REQUIRE_FALSE(single_state.carries.empty());
    for (int e = 0; e < 2; ++e) one.train_epoch(data.src);

    // Stop after 6 batches under P = 3, gather, and resume under P = 2 and as one process.
    const stopped_run<M> three = stop_after<M>(data, o, D, 3, 6);
    CHECK_FALSE(three.completed);
    const training_state& gathered = three.state;
    check_same_carries(gathered, single_state, 1e-5);
    CHECK(gathered.batch == single_state.batch);
    CHECK(std::abs(gathered.weight_sum - single_state.weight_sum) < 1e-9);

    auto resume = [&](trainer<M>& t, M& m) {
        m.parameters() = three.params;
        t.optimizer().restore(three.m1.data(), three.m2.data(), three.steps);
        t.resume_from(gathered);
        CHECK(t.train_epoch(data.src).completed);
        t.train_epoch(data.src);
    };
    {
        M m = fresh_model<M>(D);
        trainer<M> t(m, o);
        resume(t, m);
        CHECK(max_abs_diff(m.parameters(), ref.parameters()) < 1e-5);  // carries were float in the state
    }
    thread_group two(2);
    std::vector<typename M::vector> out(2);
    two.run([&](thread_group::member& c) {
        M m = fresh_model<M>(D);
        train_options oo = o;
        oo.group = &c;
        trainer<M> t(m, oo);
        resume(t, m);
        out[std::size_t(c.rank())] = m.parameters();
    });
    CHECK(same_bits(out[0], out[1]));
    CHECK(max_abs_diff(out[0], ref.parameters()) < 1e-5);
}

TEST_CASE("a rank that cannot read its streams stops every rank with its error", "[parallel][faults]")
{
    using M = softsign_layer_norm<float>;
    const index_t D = 4;
    three_regions<float> data(D);
    // Region c (410 positions) is 5 streams of 82; rank 1 of 2 holds streams 2..4, and only stream 4
    // (positions 328..409) reaches position 380, in its frame 2 (positions 368..387).
    data.fail_region = 2;
    data.fail_from = 380;
    train_options o;
    o.streams = 5;
    thread_group g(2);
    std::vector<std::string> messages(2);
    std::vector<long> batches(2, 0);
    g.run([&](thread_group::member& c) {
        M m = fresh_model<M>(D);
        train_options oo = o;
        oo.group = &c;
        trainer<M> t(m, oo);
        try {
            t.train_epoch(data.src);
        } catch (const rank_failure& e) {
            messages[std::size_t(c.rank())] = e.what();
        }
        batches[std::size_t(c.rank())] = t.state().batch;
    });
    for (int r = 0; r < 2; ++r) {
        INFO("rank " << r << ": " << messages[std::size_t(r)]);
        CHECK(messages[std::size_t(r)] ==
              "rank 1 of 2: store.h5: /regions/c/signal: checksum mismatch, the file is damaged");
        CHECK(batches[std::size_t(r)] == 3 + 1 + 2);  // a's 3 frames, b's 1, c's frames 0 and 1 done
    }
}

TEST_CASE("with mixed segments the gathered carries have the one-process layout at every batch", "[parallel][resume]")
{
    // Segments of a group differ in length (a region's last segment is short), so a rank's streams
    // can all end while another rank's run on: their carries must still be there, passed through
    // as one process passes them, or a checkpoint taken then would resume wrong under another P.
    using M = softsign_layer_norm<double>;
    const index_t D = 4;
    three_regions<double> data(D);
    train_options o;
    o.streams = 5;
    // Segments of at most 200 positions, frames of 20: a is 2 × 115 (6 frames), b is 95 (5), c is
    // 3 × 136-137 (7). With 5 streams and P = 5 a rank holds one segment; the rank holding b has
    // run out in frames 5 and 6 of a group with a segment of c, while the carries go on.
    o.mix_frames = 10;
    o.shuffle = true;
    o.seed = 7;
    o.adam.learning_rate = 1e-2;
    long total = 0;
    {
        M m = fresh_model<M>(D);
        trainer<M> t(m, o);
        t.train_epoch(data.src, {}, [&](const trainer<M>&) { return ++total > 0; });
    }
    REQUIRE(total > 4);
    long compared = 0;
    for (int P : {2, 3, 5}) {
        for (long stop = 1; stop < total; ++stop) {
            INFO("P = " << P << ", stopped after batch " << stop);
            const training_state single = stop_after<M>(data, o, D, 1, stop).state;
            const training_state gathered = stop_after<M>(data, o, D, P, stop).state;
            check_same_carries(gathered, single, 1e-6);
            compared += static_cast<long>(single.carries.size());
        }
    }
    CHECK(compared > 0);
}
