// epilstm embed: the representation of any regions (seen in training or not) as HDF5, and on
// request one bedGraph / bigWig per latent feature for genome browsers. Under mpirun the regions
// are split over the ranks (docs/distributed.md); each writes its part and rank 0 merges the parts
// into the one file a single process writes.
#include "common.hpp"
#include "comparators.hpp"
#include "device.hpp"

#ifdef EPILSTM_HAVE_BIGWIG
#include <epilstm/io/bigwig_writer.hpp>
#endif
#include <epilstm/io/embedding_file.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <iostream>
#include <memory>

namespace epilstm::cli {

namespace {

struct embed_cli {
    fs::path model, store, matrix, out, bedgraph_dir, bigwig_dir;
    std::vector<std::string> regions;
    std::vector<index_t> features;
    index_t streams = 1;
    std::string device = "cpu";
    fs::path reconstruction;
    std::shared_ptr<avocado_embed_cli> avocado;
    CLI::App* app = nullptr;
};

/// Reads rows [first, first + count) of /regions/<name>/embedding of a written embedding file.
rowmajor read_rows(const io::input_file& f, const std::string& region, index_t first, index_t count, index_t E)
{
    rowmajor m(count, E);
    const std::string name = "/regions/" + region + "/embedding";
    io::detail::translate_h5_errors(f.path(), "reading " + name, [&] {
        H5::DataSet ds = f.open_dataset(name);
        H5::DataSpace fs = ds.getSpace();
        const hsize_t off[2] = {static_cast<hsize_t>(first), 0};
        const hsize_t cnt[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(E)};
        fs.selectHyperslab(H5S_SELECT_SET, cnt, off);
        H5::DataSpace ms(2, cnt);
        ds.read(m.data(), H5::PredType::NATIVE_FLOAT, ms, fs);
    });
    return m;
}

/// Writes one bedGraph per chosen feature from a committed embedding file, block by block; each
/// file appears (renamed into place) only when complete.
void write_bedgraphs(const fs::path& embedding_file, const io::signal_store& store, const std::vector<index_t>& regions,
                     const std::vector<index_t>& features, index_t E, const fs::path& dir)
{
    fs::create_directories(dir);
    const io::input_file f(embedding_file);
    for (index_t j : features) {
        const fs::path target = dir / ("feature_" + std::to_string(j) + ".bedGraph");
        const fs::path tmp = fs::path(target.string() + ".tmp-" + std::to_string(::getpid()));
        {
            std::ofstream os(tmp);
            if (!os) throw io_error(tmp.string() + ": cannot create bedGraph file");
            os.precision(std::numeric_limits<float>::max_digits10);  // values re-read exactly
            os << "track type=bedGraph name=\"epilstm feature " << j << "\" description=\"Epi-LSTM latent feature " << j
               << "\"\n";
            constexpr index_t block = 65536;
            for (index_t r : regions) {
                const auto& ri = store.regions()[static_cast<std::size_t>(r)];
                for (index_t first = 0; first < ri.positions; first += block) {
                    const index_t n = std::min(block, ri.positions - first);
                    const rowmajor rows = read_rows(f, ri.name, first, n, E);
                    for (index_t i = 0; i < n; ++i) {
                        const std::int64_t s = ri.start + (first + i) * ri.bin_size;
                        os << ri.chrom << '\t' << s << '\t' << s + ri.bin_size << '\t' << rows(i, j) << '\n';
                    }
                }
            }
            os.flush();
            if (!os) {
                std::error_code ec;
                fs::remove(tmp, ec);
                throw io_error(tmp.string() + ": write failed (disk full?)");
            }
        }
        fs::rename(tmp, target);
        std::cout << "wrote " << target.string() << "\n";
    }
}

#ifdef EPILSTM_HAVE_BIGWIG
/// Writes one bigWig per chosen feature (regions sorted by chromosome and start, as the format
/// needs); each file is renamed into place when complete.
void write_bigwigs(const fs::path& embedding_file, const io::signal_store& store, std::vector<index_t> regions,
                   const std::vector<index_t>& features, index_t E, const fs::path& dir)
{
    fs::create_directories(dir);
    const auto& chroms = store.chroms();
    sort_by_genome(store, regions);
    const io::input_file f(embedding_file);
    for (index_t j : features) {
        const fs::path target = dir / ("feature_" + std::to_string(j) + ".bigWig");
        io::bigwig_writer w(target, chroms);
        constexpr index_t block = 65536;
        std::vector<float> col;
        for (index_t r : regions) {
            const auto& ri = store.regions()[static_cast<std::size_t>(r)];
            for (index_t first = 0; first < ri.positions; first += block) {
                const index_t n = std::min(block, ri.positions - first);
                const rowmajor rows = read_rows(f, ri.name, first, n, E);
                col.assign(static_cast<std::size_t>(n), 0.f);
                for (index_t i = 0; i < n; ++i) col[static_cast<std::size_t>(i)] = rows(i, j);
                w.add_bins(ri.chrom, ri.start + first * ri.bin_size, ri.bin_size, col.data(), n);
            }
        }
        w.commit();
        std::cout << "wrote " << target.string() << "\n";
    }
}
#else
void write_bigwigs(const fs::path&, const io::signal_store&, std::vector<index_t>, const std::vector<index_t>&, index_t,
                   const fs::path&)
{
    throw input_error("command line: --bigwig needs libBigWig, which this epilstm was built without "
                      "(install libbigwig-dev and rebuild)");
}
#endif

/// The feature tracks of a written embedding file (--bedgraph, --bigwig), checked against its width.
void write_feature_tracks(const embed_cli& o, const io::signal_store& store, const std::vector<index_t>& ids, index_t E)
{
    std::vector<index_t> features = o.features;
    if (features.empty())
        for (index_t j = 0; j < E; ++j) features.push_back(j);
    if (!o.bedgraph_dir.empty()) write_bedgraphs(o.out, store, ids, features, E, o.bedgraph_dir);
    if (!o.bigwig_dir.empty()) write_bigwigs(o.out, store, ids, features, E, o.bigwig_dir);
}

/// Runs `session` over the regions `which` (indices into src) and writes them, in that order, to
/// the embedding file `path`; `done`/`total` count positions for the progress bar.
void embed_regions(model_session& session, const region_source<float>& src, const io::signal_store& store,
                   const std::vector<index_t>& ids, const std::vector<index_t>& which, const fs::path& path,
                   const embed_cli& o, index_t E, progress_bar& bar, double& done, double total)
{
    io::embedding_writer w(path, E, store.bin_size(), fs::absolute(o.model).string(), fs::absolute(o.store).string(),
                           o.streams);
    // `epilstm evaluate --model` checks the checkpoint against this, and embeds its control the same way.
    w.record_model(o.streams, io::file_checksum(o.model));
    for (index_t r : which) {
        const auto& ri = store.regions()[static_cast<std::size_t>(ids[static_cast<std::size_t>(r)])];
        w.begin_region(ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, ri.positions);
        session.run_region(src, r, o.streams, false,
                           [&](index_t first, const column_block<float>& emb, const column_block<float>*) {
                               w.write_rows(first, emb.cols(), emb.data());
                               done += static_cast<double>(emb.cols());
                               bar.update(static_cast<index_t>(done), static_cast<index_t>(total), done);
                           });
    }
    w.commit();
}

/// The regions (indices 0..n−1) rank `rank` of `ranks` embeds: largest first to the least loaded
/// rank (ties to the lower rank), so the ranks' positions are balanced; a function of the sizes
/// and P alone.
std::vector<index_t> ranks_regions(const std::vector<index_t>& positions, int rank, int ranks)
{
    std::vector<index_t> order(positions.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<index_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) {
        return positions[static_cast<std::size_t>(a)] > positions[static_cast<std::size_t>(b)];
    });
    std::vector<double> load(static_cast<std::size_t>(ranks), 0.0);
    std::vector<index_t> mine;
    for (index_t r : order) {
        const auto least = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
        load[static_cast<std::size_t>(least)] += static_cast<double>(positions[static_cast<std::size_t>(r)]);
        if (least == rank) mine.push_back(r);
    }
    std::sort(mine.begin(), mine.end());
    return mine;
}

/// embed over an MPI job's ranks: each rank writes its regions to <out>.part-<rank>; once every
/// rank has (an agreement: a failure anywhere stops all, and the parts are removed), rank 0 copies
/// the regions, in the one-process order, into <out> through the same writer, and the parts go.
void embed_over_ranks(communicator& g, model_session& session, const region_source<float>& src,
                      const io::signal_store& store, const std::vector<index_t>& ids, const embed_cli& o, index_t E)
{
    auto part_of = [&](int r) { return fs::path(o.out.string() + ".part-" + std::to_string(r)); };
    const fs::path mine = part_of(g.rank());
    auto remove_parts = [&] {
        std::error_code ec;
        fs::remove(mine, ec);
    };
    std::string failure;
    progress_bar bar("embed (rank 0's regions)", "positions");
    try {
        double done = 0, mine_total = 0;
        const auto which = ranks_regions(src.positions, g.rank(), g.size());
        for (index_t r : which) mine_total += static_cast<double>(src.positions[static_cast<std::size_t>(r)]);
        embed_regions(session, src, store, ids, which, mine, o, E, bar, done, mine_total);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    try {
        agree(g, failure);
        failure.clear();
        if (g.rank() == 0) {
            std::vector<std::unique_ptr<io::input_file>> parts;
            for (int r = 0; r < g.size(); ++r) parts.push_back(std::make_unique<io::input_file>(part_of(r)));
            std::vector<int> owner(static_cast<std::size_t>(src.regions()));
            for (int r = 0; r < g.size(); ++r)
                for (index_t k : ranks_regions(src.positions, r, g.size())) owner[static_cast<std::size_t>(k)] = r;
            io::embedding_writer w(o.out, E, store.bin_size(), fs::absolute(o.model).string(),
                                   fs::absolute(o.store).string(), o.streams);
            w.record_model(o.streams, io::file_checksum(o.model));
            constexpr index_t block = 65536;
            for (index_t k = 0; k < src.regions(); ++k) {
                const auto& ri = store.regions()[static_cast<std::size_t>(ids[static_cast<std::size_t>(k)])];
                const io::input_file& part = *parts[static_cast<std::size_t>(owner[static_cast<std::size_t>(k)])];
                w.begin_region(ri.name, ri.chrom, ri.start, ri.end, ri.bin_size, ri.positions);
                for (index_t first = 0; first < ri.positions; first += block) {
                    const index_t n = std::min(block, ri.positions - first);
                    const rowmajor rows = read_rows(part, ri.name, first, n, E);
                    w.write_rows(first, n, rows.data());
                }
            }
            w.commit();
        }
    } catch (const rank_failure&) {
        remove_parts();
        throw;
    } catch (const std::exception& e) {
        failure = e.what();  // rank 0's merge
    }
    try {
        agree(g, failure);  // every rank waits for the merge, then removes its part
    } catch (...) {
        remove_parts();
        throw;
    }
    remove_parts();
}

/// embed with an Avocado or REFINED+CNN checkpoint (cmd_avocado.cpp, cmd_refined_cnn.cpp).
int run_comparator_embed(const embed_cli& o, checkpoint_format format)
{
    const char* method = format == checkpoint_format::avocado ? "avocado" : "refined-cnn";
    require_single_process((std::string("embed with a ") + method + " checkpoint").c_str());
    if (o.store.empty())
        throw input_error(std::string("command line: a ") + method + " checkpoint embeds the regions of a store: give --store S.h5");
    for (const char* opt : {"--streams", "--device"})
        if (o.app->count(opt) > 0)
            throw input_error(std::string("command line: ") + opt + " is an epi-lstm option; " + o.model.string() +
                              " is a " + method + " checkpoint");
    const io::signal_store store(o.store);
    embed_request r{o.model, o.store, o.out, o.reconstruction, o.regions};
    const embed_result e = format == checkpoint_format::avocado ? run_avocado_embed(r, *o.avocado, store)
                                                                : run_refined_cnn_embed(r, store);
    write_feature_tracks(o, store, e.region_ids, e.width);
    return 0;
}

int run_embed(const embed_cli& o)
{
    if (o.matrix.empty() == o.store.empty())
        throw input_error("command line: give exactly one of --store S.h5 or --matrix X.h5");
    if (!o.matrix.empty() && (!o.bedgraph_dir.empty() || !o.bigwig_dir.empty()))
        throw input_error("command line: --bedgraph and --bigwig need genome coordinates, i.e. --store");
#ifndef EPILSTM_HAVE_BIGWIG
    if (!o.bigwig_dir.empty()) write_bigwigs({}, io::signal_store(o.store), {}, {}, 0, {});  // says why not
#endif
    const checkpoint_format format = read_checkpoint_format(o.model);
    if (format != checkpoint_format::avocado)
        for (const char* opt : {"--fit-epochs", "--fit-passes", "--fit-lr"})
            if (o.app->count(opt) > 0)
                throw input_error(std::string("command line: ") + opt + " is for avocado checkpoints; " +
                                  o.model.string() + " is " +
                                  (format == checkpoint_format::epi_lstm ? "an epi-lstm" : "a refined-cnn") + " checkpoint");
    if (format != checkpoint_format::epi_lstm) return run_comparator_embed(o, format);
    if (!o.reconstruction.empty())
        throw input_error("command line: --reconstruction-out is for avocado and refined-cnn checkpoints (an epi-lstm "
                          "model's reconstruction: `epilstm reconstruct`, or `evaluate --model`)");
    with_checkpoint(o.model, [&](auto& model, const io::checkpoint& ck) {
        const auto session = open_session(o.device, model);
        session->set_standardization(ck.standardization);
        const index_t E = model.embedding_size();
        for (index_t j : o.features)
            if (j < 0 || j >= E)
                throw input_error("command line: --features " + std::to_string(j) + " is outside 0.." +
                                  std::to_string(E - 1) + " (the model's representation has " + std::to_string(E) +
                                  " features)");
        if (!o.matrix.empty()) {
            require_single_process("embed --matrix");
            const auto s = load_signal(o.matrix, model.input_size());
            rowmajor emb(s.x.rows(), E);
            progress_bar bar("embed", "frames");
            run_model(*session, s.view(), o.streams, emb.data(), nullptr,
                      [&](index_t k, index_t n, double) { bar.update(k + 1, n, double(k + 1)); });
            io::write_matrices(o.out, {{"/embedding", emb}});
            std::cout << "wrote " << o.out.string() << " (/embedding [" << emb.rows() << ", " << E << "])\n";
            return;
        }
        const io::signal_store store(o.store);
        if (store.tracks() != model.input_size())
            throw shape_error(o.store.string() + ": the store has " + std::to_string(store.tracks()) +
                              " tracks but the model " + o.model.string() + " expects " +
                              std::to_string(model.input_size()));
        if (!ck.tracks.empty() && ck.tracks != store.track_ids())
            throw input_error(o.model.string() + ": the model was trained on other tracks than " + o.store.string() +
                              " holds (compare /tracks of both files)");
        std::vector<index_t> ids;
        const auto src = io::store_source(store, o.regions, o.streams, &ids);
        double total = 0, done = 0;
        for (auto n : src.positions) total += static_cast<double>(n);
        if (communicator* g = process_group()) {
            embed_over_ranks(*g, *session, src, store, ids, o, E);
            if (g->rank() != 0) return;
        } else {
            std::vector<index_t> all(static_cast<std::size_t>(src.regions()));
            for (std::size_t k = 0; k < all.size(); ++k) all[k] = static_cast<index_t>(k);
            progress_bar bar("embed", "positions");
            embed_regions(*session, src, store, ids, all, o.out, o, E, bar, done, total);
        }
        std::cout << "wrote " << o.out.string() << " (" << src.regions() << " regions, " << total << " positions, "
                  << E << " features"
                  << (process_group() ? ", over " + std::to_string(process_group()->size()) + " MPI ranks" : "")
                  << ")\n";
        write_feature_tracks(o, store, ids, E);
    });
    return 0;
}

}  // namespace

command add_embed_command(CLI::App& app)
{
    auto o = std::make_shared<embed_cli>();
    auto* c = app.add_subcommand(
        "embed", "write the representation of every position of a store's regions (Epi-LSTM: the encoder hidden h^e_t; "
                 "Avocado: the genome factors; REFINED+CNN: the bottleneck), or of a matrix, to HDF5; optionally one "
                 "bedGraph/bigWig per latent feature");
    o->app = c;
    c->add_option("--model,-m", o->model, "model checkpoint")->required();
    auto* s = c->add_option("--store,-s", o->store, "signal store written by `epilstm prepare`");
    auto* m = c->add_option("--matrix,-x", o->matrix, "HDF5 file with /signal [N, D] (one stream per --streams)");
    s->excludes(m);
    c->add_option("--regions", o->regions, "store regions to embed (default: all), comma-separated")->delimiter(',');
    c->add_option("--out,-o", o->out, "output HDF5 file (docs/store-format.md, 'Embedding file')")->required();
    c->add_option("--streams", o->streams,
                  "streams per region (1: exactly what `reconstruct` computes; more: faster, with a fresh "
                  "hidden state at each stream start)")
        ->check(positive(o->streams))
        ->capture_default_str();
    add_device_option(c, o->device);
    c->add_option("--bedgraph", o->bedgraph_dir, "also write DIR/feature_<j>.bedGraph for each chosen feature");
    c->add_option("--bigwig", o->bigwig_dir, "also write DIR/feature_<j>.bigWig for each chosen feature");
    c->add_option("--features", o->features, "latent features to write as bedGraph/bigWig (default: all)")
        ->delimiter(',');
    c->add_option("--reconstruction-out", o->reconstruction,
                  "avocado, refined-cnn: also write each region's reconstruction [n, T], laid out as the embedding file "
                  "(for `evaluate --compare-reconstruction`)");
    o->avocado = add_avocado_embed_options(c);
    return {c, [o] { return run_embed(*o); }};
}

}  // namespace epilstm::cli
