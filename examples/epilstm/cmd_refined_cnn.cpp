// REFINED+CNN in the `epilstm` program (comparators.hpp; docs/comparators.md, "REFINED+CNN in the
// CLI"): train --method refined-cnn, embed, reconstruct --matrix.
//
// train: the training positions (a store's training regions without their missing positions, or a
// matrix's non-missing rows) are read once into memory, region by region, feeding the track
// distances (track_distance_accumulator); REFINED places the tracks (MDS start, hill climbing);
// the positions become images [g², N] and the CNN autoencoder is trained on them with Adam, epoch
// by epoch (the loop of train_refined_cnn, with the optimizer and the shuffle stream kept across
// epochs, so one run of E epochs is the library trainer's run), writing the checkpoint after every
// epoch. embed and reconstruct run the CNN over blocks of `block` positions.
#include "comparators.hpp"

#include <epilstm/backend/cpu/parallel.hpp>
#include <epilstm/io/checksum.hpp>
#include <epilstm/io/embedding_file.hpp>
#include <epilstm/io/refined_cnn_checkpoint.hpp>
#include <epilstm/model/refined.hpp>
#include <epilstm/model/refined_cnn.hpp>
#include <epilstm/train/refined_cnn_trainer.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <optional>

namespace epilstm::cli {

struct refined_cnn_train_cli {
    std::vector<index_t> channels{8, 16};
};

std::shared_ptr<refined_cnn_train_cli> add_refined_cnn_train_options(CLI::App* c)
{
    auto o = std::make_shared<refined_cnn_train_cli>();
    c->add_option("--cnn-channels", o->channels,
                  "refined-cnn: channels C1,C2 of the two encoder convolutions (default 8,16); the bottleneck width is "
                  "--hidden-size (default 16), a minibatch --batch positions (default 256); --validation-regions are "
                  "only left out of training")
        ->delimiter(',')
        ->expected(2);
    return o;
}

namespace {

using cnn = refined_cnn<float>;
constexpr index_t block = 4096;  ///< positions per read / forward pass (embed and reconstruct use the same)

/// Eigen single-threaded for its lifetime. The CNN's GEMMs are small ([16, 72] × [72, 6400] at a
/// batch of 256), and with OpenMP's threads on a loaded machine (2 cores shared with other work)
/// training ran 7× slower than on one thread: 4 100 vs 28 000 positions/s on a 1 200-position store,
/// 1 380 positions/s on the pilot store with OpenMP. OpenBLAS, when Eigen's products go to it, is
/// kept on one thread too.
struct single_threaded_eigen {
    cpu::blas_single_threaded blas;
    int before = Eigen::nbThreads();
    single_threaded_eigen() { Eigen::setNbThreads(1); }
    ~single_threaded_eigen() { Eigen::setNbThreads(before); }
    single_threaded_eigen(const single_threaded_eigen&) = delete;
    single_threaded_eigen& operator=(const single_threaded_eigen&) = delete;
};

/// The training positions: columns of a [T, N] column-major matrix (= [N, T] row-major rows).
struct training_positions {
    Eigen::MatrixXf x;  ///< [T, N]
    std::vector<std::string> tracks;
    fs::path path;
    index_t regions = 0;
    double missing = 0;  ///< positions skipped as missing
    std::optional<track_distance_accumulator> distances;  ///< fed region by region
};

/// Appends the non-missing rows of `rows` [n, T] (row-major) to `kept`, feeding the distances.
void keep_rows(const refined_rows& rows, const std::uint8_t* missing, std::vector<float>& kept,
               track_distance_accumulator& acc, const std::string& what, double& skipped)
{
    const index_t n = rows.rows(), T = rows.cols();
    refined_rows compact(n, T);
    index_t m = 0;
    for (index_t i = 0; i < n; ++i) {
        if (missing && missing[i]) {
            skipped += 1;
            continue;
        }
        compact.row(m++) = rows.row(i);
    }
    if (m == 0) return;
    acc.add(compact.topRows(m), what);
    kept.insert(kept.end(), compact.data(), compact.data() + m * T);
}

training_positions read_training_positions(const train_request& r)
{
    training_positions d;
    auto& acc = d.distances;
    std::vector<float> kept;
    if (!r.store.empty()) {
        const io::signal_store store(r.store);
        const std::vector<std::string> names = training_region_names(store, r);
        const index_t T = store.tracks();
        acc.emplace(T);
        d.tracks = store.track_ids();
        d.path = r.store;
        std::vector<index_t> ids;
        index_t total = 0;
        for (const auto& name : names) {
            const index_t id = store.region_index(name);  // a training region: in the store
            ids.push_back(id);
            total += store.regions()[static_cast<std::size_t>(id)].positions;
        }
        kept.reserve(static_cast<std::size_t>(total * T));
        for (std::size_t k = 0; k < names.size(); ++k) {
            const std::string& name = names[k];
            const index_t id = ids[k];
            const index_t n = store.regions()[static_cast<std::size_t>(id)].positions;
            for (index_t first = 0; first < n; first += block) {
                const index_t m = std::min(block, n - first);
                refined_rows rows(m, T);
                store.read_positions(id, first, m, rows.data());
                const auto missing = store.read_missing(id, first, m);
                keep_rows(rows, missing.data(), kept, *acc, r.store.string() + ": /regions/" + name + "/signal", d.missing);
            }
            ++d.regions;
        }
    } else {
        if (!r.regions.empty()) throw input_error("command line: --regions needs --store");
        if (!r.validation_regions.empty() || !r.heldout_chroms.empty())
            throw input_error("command line: --validation-regions and --heldout-chroms need --store");
        const loaded_signal s = load_signal(r.matrix);
        const index_t T = s.x.cols();
        acc.emplace(T);
        d.path = r.matrix;
        d.tracks = s.tracks;
        if (d.tracks.empty())  // a matrix without track names: the checkpoint still needs ids
            for (index_t t = 0; t < T; ++t) d.tracks.push_back("track_" + std::to_string(t));
        keep_rows(s.x, s.missing.empty() ? nullptr : s.missing.data(), kept, *acc, r.matrix.string() + ": /signal",
                  d.missing);
        d.regions = 1;
    }
    const index_t T = acc->tracks();
    const index_t N = T > 0 ? static_cast<index_t>(kept.size()) / T : 0;
    if (N == 0)
        throw input_error(d.path.string() + ": no training positions (every chosen position is missing)");
    if (T < 1) throw input_error(d.path.string() + ": the signal has no tracks");
    d.x = Eigen::Map<const Eigen::MatrixXf>(kept.data(), T, N);
    io::detail::check_refined_tracks(d.tracks, d.path.string() + ": track names");
    return d;
}

/// Images [g², n] (one column per position) of positions [T, n] (one column per position).
cnn::matrix images_of(const refined_placement& p, const Eigen::Ref<const Eigen::MatrixXf>& x)
{
    cnn::matrix img = cnn::matrix::Zero(p.pixels(), x.cols());
    for (index_t t = 0; t < p.tracks(); ++t) img.row(p.pixel[static_cast<std::size_t>(t)]) = x.row(t);
    return img;
}

/// Rows [n, T] (row-major) of reconstructed images [g², n].
refined_rows rows_of(const refined_placement& p, const cnn::matrix& images)
{
    return from_image(p, Eigen::Map<const refined_rows>(images.data(), images.cols(), images.rows()));
}

std::string placement_text(const refined_placement& p)
{
    char b[64];
    std::snprintf(b, sizeof b, "%.6f", p.cost);
    return b;
}

}  // namespace

int run_refined_cnn_train(const train_request& r, const refined_cnn_train_cli& o)
{
    const single_threaded_eigen one_thread;
    if (o.channels.size() != 2 || o.channels[0] < 1 || o.channels[1] < 1)
        throw input_error("command line: --cnn-channels must be two positive integers C1,C2");
    refined_cnn_config cfg;
    cfg.embedding = r.hidden.value_or(16);
    cfg.channels1 = o.channels[0];
    cfg.channels2 = o.channels[1];
    const index_t batch = r.batch.value_or(256);
    adam_options adam_opts;
    adam_opts.learning_rate = r.lr.value_or(1e-3);

    training_positions d = read_training_positions(r);
    const index_t T = d.x.rows(), N = d.x.cols();

    const Eigen::MatrixXd distances = d.distances->distances();
    const refined_placement start = initial_refined_placement(distances);
    const refined_placement placement = refined_hill_climb(distances, start);  // = refined_place(distances)
    cfg.grid = placement.grid;
    validate_refined_cnn_config(cfg, "command line");

    cnn model(cfg);
    model.initialize(r.seed);
    const cnn::vector mask = refined_pixel_mask<float>(placement);
    const cnn::matrix images = images_of(placement, d.x);
    d.x = Eigen::MatrixXf();  // the images hold the positions from here on

    std::cout << "training refined-cnn on " << N << " positions in " << d.regions << " region(s) of " << d.path.string()
              << (d.missing > 0 ? " (" + std::to_string(static_cast<long long>(d.missing)) + " missing positions skipped)"
                                : std::string())
              << ": " << T << " tracks on a " << cfg.grid << "x" << cfg.grid << " grid, E=" << cfg.embedding
              << " C1=" << cfg.channels1 << " C2=" << cfg.channels2 << " (" << model.parameter_count()
              << " parameters), epochs " << r.epochs << ", batch " << batch << ", lr " << adam_opts.learning_rate
              << ", seed " << r.seed << "\n";
    std::cout << "REFINED cost: MDS start " << placement_text(start) << ", after hill climbing "
              << placement_text(placement) << "\n";
    if (!r.validation_regions.empty())
        std::cout << "validation regions (" << r.validation_regions.size()
                  << ") are left out of training (refined-cnn does not validate)\n";
    std::cout.flush();

    // The loop of train_refined_cnn (train/refined_cnn_trainer.hpp), one epoch at a time: the same
    // Adam and shuffle stream throughout, so the run is deterministic for a seed.
    adam<float, cpu_device> opt(model.parameters().size(), adam_opts);
    detail::splitmix64 rng(r.seed + 1);  // the shuffle stream (the weights use r.seed)
    std::vector<index_t> order(static_cast<std::size_t>(N));
    std::iota(order.begin(), order.end(), index_t{0});
    cnn::cache c;
    cnn::matrix mb;
    cnn::vector grad;
    const index_t batches = (N + batch - 1) / batch;
    for (index_t e = 1; e <= r.epochs; ++e) {
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<std::size_t>(rng.next() % i)]);
        progress_bar bar("epoch " + std::to_string(e) + "/" + std::to_string(r.epochs), "positions");
        double sum = 0;
        index_t k = 0;
        for (index_t b0 = 0; b0 < N; b0 += batch, ++k) {
            const index_t m = std::min(batch, N - b0);
            mb.resize(cfg.pixels(), m);
            for (index_t j = 0; j < m; ++j) mb.col(j) = images.col(order[static_cast<std::size_t>(b0 + j)]);
            model.forward(mb, c);
            sum += static_cast<double>(model.backward(mb, mask, c, grad));
            opt.step(model.parameters(), grad);
            bar.update(k + 1, batches, static_cast<double>(b0 + m), sum / static_cast<double>(k + 1));
        }
        if (!model.parameters().allFinite())
            throw error("train --method refined-cnn: the parameters became non-finite in epoch " + std::to_string(e) +
                        " (try a lower --lr); " + r.model.string() + " keeps the last finite epoch, if any");
        io::write_refined_cnn_checkpoint(r.model, d.tracks, placement, model);
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("epoch %ld/%ld  train MSE %.6f  (%.0f positions/s)  checkpoint %s\n", static_cast<long>(e),
                    static_cast<long>(r.epochs), sum / static_cast<double>(std::max<index_t>(k, 1)),
                    sec > 0 ? static_cast<double>(N) / sec : 0.0, r.model.c_str());
        std::fflush(stdout);
    }
    std::cout << "done: " << r.epochs << " epochs; model " << r.model.string() << "\n";
    return 0;
}

embed_result run_refined_cnn_embed(const embed_request& r, const io::signal_store& store)
{
    const single_threaded_eigen one_thread;
    const auto ck = io::read_refined_cnn_checkpoint<float>(r.model);
    if (ck.tracks != store.track_ids())
        throw input_error(r.model.string() + ": the checkpoint's " + std::to_string(ck.tracks.size()) +
                          " tracks (/tracks/id) are not the " + std::to_string(store.tracks()) + " tracks of " +
                          r.store.string() + " (same ids in the same order needed)");
    if (!r.reconstruction.empty() && fs::weakly_canonical(r.reconstruction) == fs::weakly_canonical(r.out))
        throw input_error("command line: --reconstruction-out and --out are the same file (" + r.out.string() + ")");
    const std::vector<index_t> ids = chosen_store_regions(store, r.regions);
    const refined_placement& p = ck.placement;
    const index_t E = ck.model.config().embedding, T = p.tracks();
    const std::string model_abs = fs::absolute(r.model).string(), store_abs = fs::absolute(r.store).string();
    const std::string checksum = io::file_checksum(r.model);
    io::embedding_writer w(r.out, E, store.bin_size(), model_abs, store_abs, 1);
    w.record_model(1, checksum);
    std::optional<io::embedding_writer> wr;
    if (!r.reconstruction.empty()) {
        wr.emplace(r.reconstruction, T, store.bin_size(), model_abs, store_abs, 1);
        wr->record_model(1, checksum);
    }
    double total = 0, done = 0;
    for (index_t id : ids) total += static_cast<double>(store.regions()[static_cast<std::size_t>(id)].positions);
    progress_bar bar("embed", "positions");
    cnn::cache c;
    refined_rows rows;
    for (index_t id : ids) {
        const auto& ri = store.regions()[static_cast<std::size_t>(id)];
        w.begin_region(ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, ri.positions);
        if (wr) wr->begin_region(ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, ri.positions);
        for (index_t first = 0; first < ri.positions; first += block) {
            const index_t m = std::min(block, ri.positions - first);
            rows.resize(m, T);
            store.read_positions(id, first, m, rows.data());
            ck.model.forward(images_of(p, Eigen::Map<const Eigen::MatrixXf>(rows.data(), T, m)), c);
            w.write_rows(first, m, c.embedding.data());  // [E, m] column-major = [m, E] row-major
            if (wr) {
                const refined_rows rec = rows_of(p, c.reconstruction);
                wr->write_rows(first, m, rec.data());
            }
            done += static_cast<double>(m);
            bar.update(static_cast<index_t>(done), static_cast<index_t>(total), done);
        }
    }
    if (wr) wr->commit();
    w.commit();
    std::cout << "wrote " << r.out.string() << " (" << ids.size() << " regions, " << total << " positions, " << E
              << " features)";
    if (wr) std::cout << " and " << r.reconstruction.string() << " (the reconstruction, " << T << " tracks)";
    std::cout << "\n";
    return {ids, E};
}

int run_refined_cnn_reconstruct(const fs::path& model, const fs::path& matrix, const fs::path& out)
{
    const single_threaded_eigen one_thread;
    const auto ck = io::read_refined_cnn_checkpoint<float>(model);
    const refined_placement& p = ck.placement;
    const index_t T = p.tracks(), E = ck.model.config().embedding;
    const loaded_signal s = load_signal(matrix);
    if (s.x.cols() != T)
        throw shape_error(matrix.string() + ": /signal has " + std::to_string(s.x.cols()) + " columns but the checkpoint " +
                          model.string() + " has " + std::to_string(T) + " tracks");
    if (!s.tracks.empty() && s.tracks != ck.tracks)
        throw input_error(matrix.string() + ": the track names of /signal are not the tracks (/tracks/id) of " +
                          model.string());
    const index_t N = s.x.rows();
    rowmajor emb(N, E), rec(N, T);
    cnn::cache c;
    progress_bar bar("reconstruct", "positions");
    double se = 0, n = 0;
    for (index_t first = 0; first < N; first += block) {
        const index_t m = std::min(block, N - first);
        ck.model.forward(images_of(p, Eigen::Map<const Eigen::MatrixXf>(s.x.data() + first * T, T, m)), c);
        emb.middleRows(first, m) = Eigen::Map<const rowmajor>(c.embedding.data(), m, E);
        rec.middleRows(first, m) = rows_of(p, c.reconstruction);
        for (index_t i = first; i < first + m; ++i) {
            if (!s.missing.empty() && s.missing[static_cast<std::size_t>(i)]) continue;
            se += (rec.row(i) - s.x.row(i)).cast<double>().squaredNorm();
            n += 1;
        }
        bar.update(first + m, N, static_cast<double>(first + m));
    }
    io::write_reconstruction(out, emb, rec);
    const double mse = n > 0 ? se / (n * static_cast<double>(T)) : 0;
    std::cout << "reconstruction MSE " << mse << " over " << static_cast<long long>(n)
              << " non-missing positions (per-track-mean baseline of this matrix: " << per_track_mean_mse(s) << "); wrote "
              << out.string() << " (/embedding [" << N << ", " << E << "], /reconstruction [" << N << ", " << T << "])\n";
    return 0;
}

}  // namespace epilstm::cli
