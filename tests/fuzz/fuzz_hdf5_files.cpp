// libFuzzer target: the HDF5 readers — the three checkpoints (Epi-LSTM io/checkpoint.hpp, Avocado
// io/avocado_checkpoint.hpp, REFINED+CNN io/refined_cnn_checkpoint.hpp), the signal store
// (io/signal_store.hpp) and the embedding file (eval/representation.hpp, io/embedding_file.hpp) —
// on valid HDF5 files with wrong contents. Fuzzing HDF5's own byte format would test libhdf5, not us; so this target is
// structure-aware: it starts from a valid checkpoint of each kind (written once by the library's
// writers) and applies 1–4 mutations the fuzzer chooses — an attribute replaced by an integer
// (often an extreme one) or a string, a dataset replaced by one of another shape, element type or
// values (NaN, inf, huge), an object deleted — then reads it back the way `epilstm` does. A read
// must either throw epilstm::error or return a checkpoint whose parts agree with each other.
#include "fuzz_support.hpp"

#include <epilstm/io/avocado_checkpoint.hpp>
#include <epilstm/io/checkpoint.hpp>
#include <epilstm/io/refined_cnn_checkpoint.hpp>
#include <epilstm/io/embedding_file.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/eval/representation.hpp>
#include <epilstm/epilstm.hpp>  // the run-time model types (with_model_type)

#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace epilstm;
namespace fs = std::filesystem;

namespace {

struct objects {
    std::vector<std::string> datasets, groups;
    std::vector<std::pair<std::string, std::string>> attributes;  // (object, name)
};

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* op)
{
    auto* p = static_cast<std::pair<objects*, std::string>*>(op);
    p->first->attributes.emplace_back(p->second, name);
    return 0;
}

herr_t collect_object(hid_t root, const char* name, const H5O_info_t* info, void* op)
{
    auto* o = static_cast<objects*>(op);
    const std::string path = std::string(name) == "." ? "/" : "/" + std::string(name);
    if (info->type == H5O_TYPE_DATASET) o->datasets.push_back(path);
    if (info->type == H5O_TYPE_GROUP && path != "/") o->groups.push_back(path);
    const hid_t obj = H5Oopen(root, path.c_str(), H5P_DEFAULT);
    std::pair<objects*, std::string> p{o, path};
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, collect_attribute, &p);
    H5Oclose(obj);
    return 0;
}

objects list_objects(const fs::path& file)
{
    objects o;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, collect_object, &o, H5O_INFO_BASIC);
    H5Fclose(f);
    return o;
}

struct template_file {
    fs::path path;
    objects contents;
    std::string bytes;  ///< the file, held in memory: each input starts from a fresh copy of it
};

/// The five valid files, written once.
const std::vector<template_file>& templates()
{
    static const std::vector<template_file> t = [] {
        const fs::path dir = fuzz::input_file("probe", nullptr, 0).parent_path();
        std::vector<template_file> out;
        {  // Epi-LSTM: softsign / layer norm, D = 4, H = 3, with optimizer state and track names.
            model_config cfg;
            cfg.input_size = 4;
            cfg.hidden_size = 3;
            cfg.frame_length = 8;
            const fs::path p = dir / "template_epilstm.h5";
            with_model_type(cfg, [&](auto type) {
                using M = typename decltype(type)::type;
                M m(cfg);
                m.initialize(1);
                io::optimizer_state st{m.parameters(), m.parameters().cwiseAbs(), 7};
                const std::vector<std::string> tracks{"E1.A", "E1.B", "E2.A", "E2.B"};
                io::write_checkpoint(p, cfg, m.layout(), m.parameters(), &st, &tracks);
            });
            out.push_back({p, {}, {}});
        }
        {  // Avocado: C = 2, A = 2, small widths, two regions.
            avocado_config c;
            c.celltypes = 2;
            c.assays = 2;
            c.celltype_factors = 2;
            c.assay_factors = 2;
            c.genome_25_factors = 2;
            c.genome_250_factors = 2;
            c.genome_5k_factors = 1;
            c.layers = 1;
            c.units = 3;
            avocado_model<float> m(c, {{0, 0}, {0, 1}, {1, 0}});
            m.add_region(m.make_region("r1", "chr1", 0, 25 * 30, 30));
            m.add_region(m.make_region("r2", "chr2", 250, 250 + 25 * 11, 11));
            m.initialize(2);
            const fs::path p = dir / "template_avocado.h5";
            io::write_avocado_checkpoint(p, m, {"E1.A", "E1.B", "E2.A"}, {"E1", "E2"}, {"A", "B"});
            out.push_back({p, {}, {}});
        }
        {  // REFINED+CNN: T = 3 on a 2×2 grid, E = 2.
            refined_placement pl;
            pl.grid = 2;
            pl.pixel = {0, 3, 1};
            pl.cost = 0.5;
            refined_cnn_config c;
            c.grid = 2;
            c.embedding = 2;
            c.channels1 = 2;
            c.channels2 = 2;
            refined_cnn<float> m(c);
            m.initialize(3);
            const fs::path p = dir / "template_refined_cnn.h5";
            io::write_refined_cnn_checkpoint(p, {"E1.A", "E1.B", "E2.A"}, pl, m);
            out.push_back({p, {}, {}});
        }
        {  // A signal store: 3 tracks, two regions (one with a position no track covers).
            io::genome g;
            g.path = "fuzz.sizes";
            g.chroms = {{"chr1", 100000}, {"chr2", 5000}};
            const std::vector<io::track_info> tracks{{"E1.A", "E1", "A", "/x/E1.A.bigWig"},
                                                     {"E1.B", "E1", "B", "/x/E1.B.bigWig"},
                                                     {"E2.A", "E2", "A", "/x/E2.A.bigWig"}};
            const fs::path p = dir / "template_store.h5";
            io::signal_store_writer w(p, tracks, g, 25, "asinh", 8);
            for (int r = 0; r < 2; ++r) {
                const index_t n = r == 0 ? 20 : 9;
                w.begin_region(r == 0 ? "r1" : "r2", r == 0 ? "chr1" : "chr2", 100 * r, 100 * r + 25 * n);
                std::vector<float> x(static_cast<std::size_t>(3 * n));
                std::vector<std::uint8_t> h(x.size(), 1);
                for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) * 0.25f;
                for (int d = 0; d < 3; ++d) h[static_cast<std::size_t>(d * n + 2)] = 0;
                w.write_block(n, x.data(), h.data());
                w.end_region();
            }
            w.commit();
            out.push_back({p, {}, {}});
        }
        {  // An embedding file: E = 2, two regions, with the model's checksum and streams.
            const fs::path p = dir / "template_embedding.h5";
            io::embedding_writer w(p, 2, 25, "/x/model.h5", "/x/store.h5", 1);
            w.record_model(1, "fnv1a64:0123456789abcdef");
            for (int r = 0; r < 2; ++r) {
                const index_t n = r == 0 ? 12 : 5;
                w.begin_region(r == 0 ? "r1" : "r2", r == 0 ? "chr1" : "chr2", 100 * r, 100 * r + 25 * n, 25, n);
                std::vector<float> rows(static_cast<std::size_t>(2 * n), 0.5f);
                w.write_rows(0, n, rows.data());
            }
            w.commit();
            out.push_back({p, {}, {}});
        }
        for (auto& f : out) {
            f.contents = list_objects(f.path);
            std::ifstream in(f.path, std::ios::binary);
            f.bytes.assign(std::istreambuf_iterator<char>(in), {});
        }
        return out;
    }();
    return t;
}

std::int64_t interesting_integer(FuzzedDataProvider& in)
{
    static const std::int64_t values[] = {0, 1, 2, 3, -1, 7, 64, 1 << 20, std::int64_t(1) << 31, std::int64_t(1) << 40,
                                          std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()};
    if (in.ConsumeBool()) return values[in.ConsumeIntegralInRange<std::size_t>(0, std::size(values) - 1)];
    return in.ConsumeIntegral<std::int64_t>();
}

float interesting_float(FuzzedDataProvider& in)
{
    switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: return std::numeric_limits<float>::quiet_NaN();
    case 1: return std::numeric_limits<float>::infinity();
    case 2: return 3e38f;
    case 3: return in.ConsumeFloatingPointInRange(-2.f, 2.f);
    default: return static_cast<float>(in.ConsumeIntegralInRange(-3, 3));
    }
}

void replace_attribute(hid_t f, const std::pair<std::string, std::string>& a, FuzzedDataProvider& in)
{
    const hid_t obj = H5Oopen(f, a.first.c_str(), H5P_DEFAULT);
    H5Adelete(obj, a.second.c_str());
    const hid_t space = H5Screate(H5S_SCALAR);
    if (in.ConsumeBool()) {
        const std::int64_t v = interesting_integer(in);
        const hid_t at = H5Acreate2(obj, a.second.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(at, H5T_NATIVE_INT64, &v);
        H5Aclose(at);
    } else {
        const std::string s = in.ConsumeRandomLengthString(24);
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, s.empty() ? 1 : s.size());
        const hid_t at = H5Acreate2(obj, a.second.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(at, type, s.empty() ? "" : s.c_str());
        H5Aclose(at);
        H5Tclose(type);
    }
    H5Sclose(space);
    H5Oclose(obj);
}

void replace_dataset(hid_t f, const std::string& name, FuzzedDataProvider& in)
{
    // Keep the old shape half the time (then only the values or the type change).
    const hid_t old = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
    const hid_t old_space = H5Dget_space(old);
    int rank = H5Sget_simple_extent_ndims(old_space);
    hsize_t dims[3] = {0, 0, 0};
    if (rank >= 0 && rank <= 3) H5Sget_simple_extent_dims(old_space, dims, nullptr);
    H5Sclose(old_space);
    H5Dclose(old);
    if (rank < 1 || rank > 3 || in.ConsumeBool()) {
        rank = in.ConsumeIntegralInRange(1, 3);
        for (int k = 0; k < rank; ++k) dims[k] = in.ConsumeIntegralInRange<hsize_t>(0, 9);
    }
    H5Ldelete(f, name.c_str(), H5P_DEFAULT);
    hsize_t n = 1;
    for (int k = 0; k < rank; ++k) n *= dims[k];
    const hid_t space = H5Screate_simple(rank, dims, nullptr);
    const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {  // int64
        std::vector<std::int64_t> v(n);
        for (auto& x : v) x = interesting_integer(in);
        const hid_t ds = H5Dcreate2(f, name.c_str(), H5T_STD_I64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        if (n) H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        H5Dclose(ds);
        break;
    }
    case 1: {  // fixed-length strings
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, 4);
        std::vector<char> v(n * 4, 'x');
        const hid_t ds = H5Dcreate2(f, name.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        if (n) H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        H5Dclose(ds);
        H5Tclose(type);
        break;
    }
    default: {  // float32 (float64 now and then)
        const bool f64 = in.ConsumeIntegralInRange(0, 3) == 0;
        std::vector<double> v(n);
        for (auto& x : v) x = interesting_float(in);
        const hid_t ds = H5Dcreate2(f, name.c_str(), f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT,
                                    H5P_DEFAULT);
        if (n) H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        H5Dclose(ds);
        break;
    }
    }
    H5Pclose(lcpl);
    H5Sclose(space);
}

void mutate(const fs::path& file, const objects& o, FuzzedDataProvider& in)
{
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) fuzz::violated("the template copy does not open");
    const int mutations = in.ConsumeIntegralInRange(1, 4);
    for (int k = 0; k < mutations && in.remaining_bytes() > 0; ++k) {
        const int op = in.ConsumeIntegralInRange(0, 3);
        if (op == 0 && !o.attributes.empty())
            replace_attribute(f, o.attributes[in.ConsumeIntegralInRange<std::size_t>(0, o.attributes.size() - 1)], in);
        else if (op <= 2 && !o.datasets.empty())
            replace_dataset(f, o.datasets[in.ConsumeIntegralInRange<std::size_t>(0, o.datasets.size() - 1)], in);
        else {
            std::vector<std::string> all = o.datasets;
            all.insert(all.end(), o.groups.begin(), o.groups.end());
            H5Ldelete(f, all[in.ConsumeIntegralInRange<std::size_t>(0, all.size() - 1)].c_str(), H5P_DEFAULT);
        }
    }
    H5Fclose(f);
}

void read_epilstm(const fs::path& p)
{
    const model_config cfg = io::read_checkpoint_config(p);
    with_model_type(
        cfg,
        [&](auto type) {
            using M = typename decltype(type)::type;
            const io::checkpoint ck = io::read_checkpoint(p, [](const model_config& c) { return M::layout_for(c); });
            EPILSTM_FUZZ_REQUIRE(ck.config == cfg);
            EPILSTM_FUZZ_REQUIRE(ck.params.size() == M::layout_for(ck.config).size());
            EPILSTM_FUZZ_REQUIRE(ck.params.allFinite());
            EPILSTM_FUZZ_REQUIRE(ck.tracks.empty() || static_cast<index_t>(ck.tracks.size()) == cfg.input_size);
            if (ck.optimizer) {
                EPILSTM_FUZZ_REQUIRE(ck.optimizer->m.size() == ck.params.size());
                EPILSTM_FUZZ_REQUIRE(ck.optimizer->v.size() == ck.params.size());
            }
        },
        p.string());
}

void read_avocado(const fs::path& p)
{
    const auto ck = io::read_avocado_checkpoint<float>(p);
    const auto& m = ck.model;
    const avocado_config& c = m.config();
    EPILSTM_FUZZ_REQUIRE(static_cast<index_t>(ck.celltypes.size()) == c.celltypes);
    EPILSTM_FUZZ_REQUIRE(static_cast<index_t>(ck.assays.size()) == c.assays);
    EPILSTM_FUZZ_REQUIRE(ck.track_ids.size() == m.tracks().size());
    for (const auto& t : m.tracks())
        EPILSTM_FUZZ_REQUIRE(0 <= t.celltype && t.celltype < c.celltypes && 0 <= t.assay && t.assay < c.assays);
    EPILSTM_FUZZ_REQUIRE(m.celltype_factors().rows() == c.celltype_factors && m.celltype_factors().cols() == c.celltypes);
    EPILSTM_FUZZ_REQUIRE(m.assay_factors().rows() == c.assay_factors && m.assay_factors().cols() == c.assays);
    for (const auto& r : m.regions()) {
        const index_t n = r.positions();
        EPILSTM_FUZZ_REQUIRE(n >= 1);
        EPILSTM_FUZZ_REQUIRE(r.genome_25.rows() == c.genome_25_factors);
        EPILSTM_FUZZ_REQUIRE(r.genome_250.rows() == c.genome_250_factors && r.genome_250.cols() >= avocado_rows_250(n));
        EPILSTM_FUZZ_REQUIRE(r.genome_5k.rows() == c.genome_5k_factors && r.genome_5k.cols() >= avocado_rows_5k(n));
    }
    if (!m.regions().empty()) (void)m.reconstruct(0);  // the forward runs on what was read
}

void read_refined(const fs::path& p)
{
    const auto ck = io::read_refined_cnn_checkpoint<float>(p);
    validate_placement(ck.placement, static_cast<index_t>(ck.tracks.size()), "fuzz");
    EPILSTM_FUZZ_REQUIRE(ck.model.config().grid == ck.placement.grid);
    const index_t g2 = ck.placement.grid * ck.placement.grid;
    const Eigen::MatrixXf x = Eigen::MatrixXf::Zero(g2, 2);
    const Eigen::MatrixXf e = ck.model.embed(x);
    EPILSTM_FUZZ_REQUIRE(e.rows() == ck.model.config().embedding && e.cols() == 2);
}

void read_store(const fs::path& p)
{
    const io::signal_store s(p);
    EPILSTM_FUZZ_REQUIRE(s.tracks() >= 1 && static_cast<index_t>(s.track_ids().size()) == s.tracks());
    for (index_t r = 0; r < static_cast<index_t>(s.regions().size()); ++r) {
        const auto& ri = s.regions()[static_cast<std::size_t>(r)];
        EPILSTM_FUZZ_REQUIRE(ri.positions >= 1 && ri.end - ri.start == ri.positions * ri.bin_size);
        std::vector<float> rows(static_cast<std::size_t>(ri.positions * s.tracks()));
        s.read_positions(r, 0, ri.positions, rows.data());
        EPILSTM_FUZZ_REQUIRE(static_cast<index_t>(s.read_missing(r, 0, ri.positions).size()) == ri.positions);
    }
}

void read_embedding(const fs::path& p)
{
    const eval::representation rep = eval::read_embedding_representation(p);
    for (const auto& g : rep.regions) {
        EPILSTM_FUZZ_REQUIRE(g.rows.cols() == rep.width);
        EPILSTM_FUZZ_REQUIRE(g.bin_size > 0 && g.rows.rows() * g.bin_size == g.end - g.start);
    }
    (void)io::read_embedding_provenance(p);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{

    io::silence_hdf5_errors();  // the readers' own messages, not HDF5's stack dumps
    (void)templates();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    const int kind = in.ConsumeIntegralInRange(0, 4);
    const template_file& t = templates()[static_cast<std::size_t>(kind)];
    // Written from memory, not fs::copy_file: its sendfile can fail with EINTR when libFuzzer's
    // timer signal arrives (seen in CI), which would be the harness failing, not a reader.
    const fs::path work = fuzz::input_file("mutated_" + std::to_string(kind) + ".h5",
                                           reinterpret_cast<const std::uint8_t*>(t.bytes.data()), t.bytes.size());
    mutate(work, t.contents, in);
    fuzz::expect_result_or_error([&] {
        switch (kind) {
        case 0: read_epilstm(work); break;
        case 1: read_avocado(work); break;
        case 2: read_refined(work); break;
        case 3: read_store(work); break;
        default: read_embedding(work); break;
        }
    });
    return 0;
}
