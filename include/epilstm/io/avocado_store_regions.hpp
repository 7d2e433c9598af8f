// Avocado's training regions out of core: the io side of train/avocado_trainer.hpp's
// avocado_region_store. A region's signal is read from the signal store when the trainer checks
// it out; its genome factors and their lazy-Adam moments live in a scratch directory (one file per
// region) between windows. Only the trainer's window of regions is in memory, never a dense
// genome × (F25 + F250 + F5k) table.
//
//   io::signal_store store("store.h5");
//   io::avocado_store_regions<float> regions(store, {0, 2, 5}, model, seed, "/tmp/scratch");
//   avocado_trainer<float> tr(model, options);   // options.window_regions = 2: two regions at a time
//   tr.train_epoch(regions, progress);
//   regions.copy_into(model);                     // then io::write_avocado_checkpoint
//
// A region's factors are drawn (avocado_model::initialize_region, from a splitmix64 stream seeded by
// `seed` and the region's index in the store) the first time it is checked out, so the result does
// not depend on the order in which regions are visited. Scratch files are raw little-endian
// buffers with a header checked on every read (shape, element size): a file that does not match
// is an io_error naming it. The directory is created if needed; the files are removed by the
// destructor.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/detail/random.hpp>
#include <epilstm/io/signal_store.hpp>
#include <epilstm/model/avocado.hpp>
#include <epilstm/train/avocado_trainer.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace epilstm::io {

template <class T>
class avocado_store_regions final : public avocado_region_store<T> {
public:
    /// `regions`: indices into store.regions(), the training regions; `shapes`: the model whose
    /// factor widths the regions get; `scratch`: a directory for the factors between windows.
    avocado_store_regions(const signal_store& store, std::vector<index_t> regions, const avocado_model<T>& shapes,
                          std::uint64_t seed, std::filesystem::path scratch)
        : store_(store), regions_(std::move(regions)), shapes_(shapes), seed_(seed), scratch_(std::move(scratch)),
          out_(regions_.size(), 0), saved_(regions_.size(), 0)
    {
        for (index_t r : regions_)
            if (r < 0 || r >= static_cast<index_t>(store.regions().size()))
                throw input_error(store.path().string() + ": region index " + std::to_string(r) + " outside 0.." +
                                  std::to_string(store.regions().size() - 1));
        std::error_code ec;
        std::filesystem::create_directories(scratch_, ec);
        if (ec) throw io_error(scratch_.string() + ": cannot create the scratch directory: " + ec.message());
    }
    avocado_store_regions(const avocado_store_regions&) = delete;
    avocado_store_regions& operator=(const avocado_store_regions&) = delete;
    ~avocado_store_regions() override
    {
        for (std::size_t k = 0; k < regions_.size(); ++k) {
            std::error_code ec;
            std::filesystem::remove(file(static_cast<index_t>(k)), ec);
        }
    }

    index_t size() const override { return static_cast<index_t>(regions_.size()); }

    avocado_region_slot<T> checkout(index_t r) override
    {
        check(r, "checkout");
        if (out_[static_cast<std::size_t>(r)])
            throw error("avocado_store_regions: region " + std::to_string(r) + " is already checked out");
        avocado_region_slot<T> slot;
        slot.factors = factors_of(r, &slot.moments);
        const region_info& ri = info(r);
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows(ri.positions, store_.tracks());
        store_.read_positions(regions_[static_cast<std::size_t>(r)], 0, ri.positions, rows.data());
        slot.data.signal = rows.template cast<T>();
        slot.data.missing = store_.read_missing(regions_[static_cast<std::size_t>(r)], 0, ri.positions);
        out_[static_cast<std::size_t>(r)] = 1;
        return slot;
    }

    void checkin(index_t r, avocado_region_slot<T> slot) override
    {
        check(r, "checkin");
        write(r, slot.factors, slot.moments);
        out_[static_cast<std::size_t>(r)] = 0;
    }

    /// Region r's factors as they are now (initialized if never checked out).
    avocado_region<T> factors(index_t r) const
    {
        check(r, "factors");
        return factors_of(r, nullptr);
    }

    /// Appends every region's factors to `model` (for the checkpoint).
    void copy_into(avocado_model<T>& model) const
    {
        for (index_t r = 0; r < size(); ++r) model.add_region(factors(r));
    }

private:
    using matrix = typename avocado_region<T>::matrix;
    static constexpr std::uint64_t magic = 0x31434f5641455045ull;  // "EPEAVOC1"

    const region_info& info(index_t r) const { return store_.regions()[static_cast<std::size_t>(regions_[static_cast<std::size_t>(r)])]; }
    std::filesystem::path file(index_t r) const
    {
        return scratch_ / ("avocado_region_" + std::to_string(regions_[static_cast<std::size_t>(r)]) + ".bin");
    }
    void check(index_t r, const char* what) const
    {
        if (r < 0 || r >= size())
            throw input_error(std::string("avocado_store_regions ") + what + ": region " + std::to_string(r) + ", the store has " +
                              std::to_string(size()));
    }

    /// Region r's factors, zero, with its name, coordinates and shapes.
    avocado_region<T> shaped(index_t r) const
    {
        const region_info& ri = info(r);
        return shapes_.make_region(ri.name, ri.chrom, static_cast<long>(ri.start), static_cast<long>(ri.end), ri.positions);
    }

    /// Region r's initial factors (before its first checkin).
    avocado_region<T> fresh(index_t r) const
    {
        avocado_region<T> g = shaped(r);
        epilstm::detail::splitmix64 rng(seed_ ^ (0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(regions_[static_cast<std::size_t>(r)] + 1)));
        avocado_model<T>::initialize_region(g, rng);
        return g;
    }

    avocado_region<T> factors_of(index_t r, avocado_region_moments<T>* moments) const
    {
        if (!saved_[static_cast<std::size_t>(r)]) return fresh(r);
        avocado_region<T> g = shaped(r);  // the values come from the scratch file
        const auto path = file(r);
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path.string() + ": cannot open the scratch file of region " + g.name);
        avocado_region_moments<T> m;
        read_matrix(in, path, g.genome_25);
        read_matrix(in, path, g.genome_250);
        read_matrix(in, path, g.genome_5k);
        const bool has_moments = read_word(in, path) != 0;
        if (has_moments) {
            read_moments(in, path, g.genome_25, m.genome_25);
            read_moments(in, path, g.genome_250, m.genome_250);
            read_moments(in, path, g.genome_5k, m.genome_5k);
        }
        if (moments) *moments = std::move(m);
        return g;
    }

    void write(index_t r, const avocado_region<T>& g, const avocado_region_moments<T>& m)
    {
        const avocado_region<T> want = shaped(r);
        if (g.genome_25.rows() != want.genome_25.rows() || g.genome_25.cols() != want.genome_25.cols() ||
            g.genome_250.rows() != want.genome_250.rows() || g.genome_250.cols() != want.genome_250.cols() ||
            g.genome_5k.rows() != want.genome_5k.rows() || g.genome_5k.cols() != want.genome_5k.cols())
            throw shape_error("avocado_store_regions checkin: region " + want.name + " came back with other factor shapes");
        const auto path = file(r);
        const auto tmp = std::filesystem::path(path.string() + ".tmp");
        {
            std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
            if (!os) throw io_error(tmp.string() + ": cannot create a scratch file");
            write_matrix(os, g.genome_25);
            write_matrix(os, g.genome_250);
            write_matrix(os, g.genome_5k);
            const bool has_moments = !m.genome_25.empty();
            write_word(os, has_moments ? 1 : 0);
            if (has_moments) {
                write_moments(os, m.genome_25);
                write_moments(os, m.genome_250);
                write_moments(os, m.genome_5k);
            }
            os.flush();
            if (!os) {
                std::error_code ec;
                std::filesystem::remove(tmp, ec);
                throw io_error(tmp.string() + ": write failed (disk full?)");
            }
        }
        std::filesystem::rename(tmp, path);
        saved_[static_cast<std::size_t>(r)] = 1;
    }

    static void write_word(std::ofstream& os, std::uint64_t w) { os.write(reinterpret_cast<const char*>(&w), sizeof w); }
    static std::uint64_t read_word(std::ifstream& in, const std::filesystem::path& path)
    {
        std::uint64_t w = 0;
        in.read(reinterpret_cast<char*>(&w), sizeof w);
        if (!in) throw io_error(path.string() + ": scratch file truncated");
        return w;
    }
    template <class M>
    static void write_matrix(std::ofstream& os, const M& m)
    {
        write_word(os, magic);
        write_word(os, sizeof(typename M::Scalar));
        write_word(os, static_cast<std::uint64_t>(m.rows()));
        write_word(os, static_cast<std::uint64_t>(m.cols()));
        os.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(typename M::Scalar)));
    }
    template <class M>
    static void read_matrix(std::ifstream& in, const std::filesystem::path& path, M& m)
    {
        const std::uint64_t mg = read_word(in, path), es = read_word(in, path), rows = read_word(in, path),
                            cols = read_word(in, path);
        if (mg != magic || es != sizeof(typename M::Scalar) || rows != static_cast<std::uint64_t>(m.rows()) ||
            cols != static_cast<std::uint64_t>(m.cols()))
            throw io_error(path.string() + ": scratch file does not hold a [" + std::to_string(m.rows()) + ", " +
                           std::to_string(m.cols()) + "] factor matrix (damaged or from another run)");
        in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(typename M::Scalar)));
        if (!in) throw io_error(path.string() + ": scratch file truncated");
    }
    static void write_moments(std::ofstream& os, const avocado_factor_moments<T>& a)
    {
        write_matrix(os, a.m);
        write_matrix(os, a.v);
        const Eigen::Map<const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>> steps(a.steps.data(),
                                                                                    static_cast<index_t>(a.steps.size()));
        write_matrix(os, Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>(steps));
    }
    static void read_moments(std::ifstream& in, const std::filesystem::path& path, const matrix& shape,
                             avocado_factor_moments<T>& a)
    {
        a.reset(shape.rows(), shape.cols());
        read_matrix(in, path, a.m);
        read_matrix(in, path, a.v);
        Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> steps(shape.cols());
        read_matrix(in, path, steps);
        a.steps.assign(steps.data(), steps.data() + steps.size());
    }

    const signal_store& store_;
    std::vector<index_t> regions_;
    const avocado_model<T>& shapes_;
    std::uint64_t seed_;
    std::filesystem::path scratch_;
    std::vector<char> out_, saved_;
};

}  // namespace epilstm::io
