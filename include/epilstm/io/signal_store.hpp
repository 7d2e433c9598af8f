// The epilstm signal store: an HDF5 file that `epilstm prepare` writes once from bigWigs, so that
// training and embedding never re-read them. Layout (docs/store-format.md has the full contract):
//
//   /                       attrs format="epilstm-signal-store", version=1, bin_size, transform, genome
//   /tracks/{id,cell_type,assay,path}   [D] strings, manifest order
//   /genome/chrom [C] strings, /genome/size [C] int64
//   /regions/names          [R] strings, processing order
//   /regions/<name>/signal  [D, n] float32 (tracks x positions), chunked [D, 4096], shuffle+deflate;
//                           attrs chrom, start, end (bin-aligned, 0-based half-open), bin_size
//   /regions/<name>/missing [n] uint8: 1 where no track has data (excluded from the loss)
//   /regions/<name>/track_coverage [D] float32: fraction of the region's bins with data, per track
//
// `signal_store` reads it out of core: read_positions() reads one hyperslab [D, count] and
// transposes it to the position-major [count, D] the model consumes. `signal_store_writer` writes
// it through atomic_output_file (a temporary file renamed on commit), one block of positions at a
// time, so memory stays bounded by D x block.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/detail/parallel_for.hpp>
#include <epilstm/io/chunk_codec.hpp>
#include <epilstm/io/genome.hpp>
#include <epilstm/io/hdf5.hpp>

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::io {

inline constexpr const char* signal_store_format = "epilstm-signal-store";
inline constexpr long signal_store_version = 1;

/// How a store keeps its values: float32 (exact), or IEEE float16 (half the bytes to write, store and
/// inflate; relative error ≤ 2^-11 for |v| ≥ 2^-14, absolute ≤ 2^-25 below; docs/store-format.md).
enum class store_precision { float32, float16 };

/// "float32" | "float16" (anything else: input_error naming `where`).
inline store_precision parse_precision(const std::string& name, const std::string& where)
{
    if (name == "float32") return store_precision::float32;
    if (name == "float16") return store_precision::float16;
    throw input_error(where + ": precision '" + name + "' is not one of: float32, float16");
}

/// How signal_store_writer lays out and compresses each region's signal.
struct store_options {
    index_t chunk_positions = 4096;                        ///< positions per chunk (chunks are [D, this])
    int deflate_level = 4;                                 ///< zlib level 1..9 after shuffle; 0 = uncompressed
    store_precision precision = store_precision::float32;
    int threads = 1;                                       ///< threads compressing chunks (0 = every core)
};

namespace detail {

/// IEEE binary16, little-endian, as an HDF5 file type (h5py reads it as numpy.float16).
inline H5::FloatType half_file_type()
{
    const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0 || H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0)
        throw H5::DataTypeIException("half_file_type", "cannot build the float16 type");
    H5::FloatType ft(t);
    H5Tclose(t);  // FloatType(hid_t) took its own reference
    return ft;
}

/// 2 for the float16 of half_file_type, 4 for IEEE float32 LE, 0 for any other type (read through
/// HDF5's own conversion).
inline int direct_float_size(hid_t type)
{
    if (H5Tget_class(type) != H5T_FLOAT || H5Tget_order(type) != H5T_ORDER_LE) return 0;
    if (H5Tequal(type, H5T_IEEE_F32LE) > 0) return 4;
    size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
    if (H5Tget_size(type) == 2 && H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0 && spos == 15 &&
        epos == 10 && esize == 5 && mpos == 0 && msize == 10 && H5Tget_ebias(type) == 15)
        return 2;
    return 0;
}

}  // namespace detail

/// Metadata of one track (a row of the [D, n] region matrices).
struct track_info {
    std::string id;
    std::string cell_type;
    std::string assay;
    std::string path;  ///< the bigWig it was read from
};

/// One region of a store.
struct region_info {
    std::string name;
    std::string chrom;
    std::int64_t start = 0;  ///< 0-based, bin-aligned
    std::int64_t end = 0;    ///< exclusive; end - start = positions * bin_size
    index_t bin_size = 0;
    index_t positions = 0;   ///< n: bins in the region
};

/// A signal store opened read-only. The constructor validates the whole layout (attributes, the
/// tracks, every region's datasets and shapes) without reading any signal; the read functions then
/// read only the requested positions. The read functions may be called from several threads at once:
/// HDF5 calls take this store's lock (and need an HDF5 built thread-safe, as Debian's is, when other
/// threads use HDF5 on other files meanwhile); decompression runs outside it.
class signal_store {
public:
    explicit signal_store(std::filesystem::path path) : file_(open_checked(path))
    {
        const std::string& p = file_.path().string();
        try {
            load();
        } catch (const io_error& e) {
            throw input_error(std::string(e.what()) + " (is " + p + " a truncated or corrupt signal store?)");
        }
    }

    const std::filesystem::path& path() const { return file_.path(); }
    index_t bin_size() const { return bin_size_; }
    const std::string& transform() const { return transform_; }
    const std::string& genome_path() const { return genome_path_; }
    const std::vector<chrom_size>& chroms() const { return chroms_; }
    const std::vector<track_info>& track_metadata() const { return tracks_; }
    const std::vector<std::string>& track_ids() const { return track_ids_; }
    index_t tracks() const { return static_cast<index_t>(tracks_.size()); }
    const std::vector<region_info>& regions() const { return regions_; }
    /// The index in regions() of the region called `name`, or -1.
    index_t region_index(const std::string& name) const
    {
        for (std::size_t i = 0; i < regions_.size(); ++i)
            if (regions_[i].name == name) return static_cast<index_t>(i);
        return -1;
    }
    /// Sum of positions over all regions.
    index_t total_positions() const
    {
        index_t n = 0;
        for (const auto& r : regions_) n += r.positions;
        return n;
    }

    /// Positions [first, first + count) of region `region`, as a row-major [count, D] block
    /// (position-major). A store written by epilstm is read chunk by chunk (H5Dread_chunk) and its
    /// filters undone by io::codec outside HDF5, so several threads may call this at once and
    /// decompress in parallel; any other layout goes through HDF5's own pipeline (one hyperslab).
    void read_positions(index_t region, index_t first, index_t count, float* out_position_major) const
    {
        check_range(region, first, count);
        const index_t D = tracks();
        if (count == 0 || D == 0) return;
        const chunk_plan& plan = plans_[static_cast<std::size_t>(region)];
        if (!plan.direct) {
            read_hyperslab(region, first, count, out_position_major);
            return;
        }
        const index_t c = plan.positions;
        for (index_t k = first / c; k * c < first + count; ++k) {
            const index_t lo = std::max(first, k * c), hi = std::min(first + count, (k + 1) * c);
            float* dst = out_position_major + (lo - first) * D;
            if (plan.pipe.element_size == 4) {
                thread_local std::vector<float> chunk;  // reused across calls (no page faults per chunk)
                chunk.resize(static_cast<std::size_t>(D * c));
                read_chunk(region, k, reinterpret_cast<unsigned char*>(chunk.data()));
                codec::to_position_major(chunk.data() + (lo - k * c), c, D, hi - lo, dst);
            } else {
                thread_local std::vector<std::uint16_t> chunk;
                chunk.resize(static_cast<std::size_t>(D * c));
                read_chunk(region, k, reinterpret_cast<unsigned char*>(chunk.data()));
                codec::halves_to_position_major(chunk.data() + (lo - k * c), c, D, hi - lo, dst);
            }
        }
    }

    /// Positions per chunk of region `region`'s signal when the store is read chunk by chunk (see
    /// read_positions), else 0.
    index_t chunk_positions(index_t region) const
    {
        check_range(region, 0, 0);
        const chunk_plan& p = plans_[static_cast<std::size_t>(region)];
        return p.direct ? p.positions : 0;
    }

    /// The precision of the values of region 0 (every region epilstm writes has the same).
    store_precision precision() const { return precision_; }

    /// The all-tracks-missing flags of positions [first, first + count) of region `region`.
    std::vector<std::uint8_t> read_missing(index_t region, index_t first, index_t count) const
    {
        check_range(region, first, count);
        std::vector<std::uint8_t> out(static_cast<std::size_t>(count));
        if (count == 0) return out;
        const std::string name = "/regions/" + regions_[static_cast<std::size_t>(region)].name + "/missing";
        std::lock_guard<std::mutex> lock(*h5_mutex_);
        silence_hdf5_errors();
        detail::translate_h5_errors(path(), "reading dataset " + name, [&] {
            const H5::DataSet& ds = missing_[static_cast<std::size_t>(region)];
            H5::DataSpace fs = ds.getSpace();
            const hsize_t off[1] = {static_cast<hsize_t>(first)};
            const hsize_t cnt[1] = {static_cast<hsize_t>(count)};
            fs.selectHyperslab(H5S_SELECT_SET, cnt, off);
            H5::DataSpace ms(1, cnt);
            ds.read(out.data(), H5::PredType::NATIVE_UINT8, ms, fs);
        });
        return out;
    }

    /// Fraction of the bins of region `region` where each track has data ([D]).
    std::vector<float> track_coverage(index_t region) const
    {
        check_range(region, 0, 0);
        const std::string name = "/regions/" + regions_[static_cast<std::size_t>(region)].name + "/track_coverage";
        const Eigen::VectorXf v = file_.read_vector(name, tracks());
        return std::vector<float>(v.data(), v.data() + v.size());
    }

private:
    /// How region r's signal is read: chunk by chunk with our own filters (direct), or through HDF5.
    struct chunk_plan {
        bool direct = false;
        index_t positions = 0;  ///< positions per chunk
        codec::pipeline pipe;   ///< pipe.element_size: 4 float32, 2 float16
    };

    static chunk_plan plan_for(const H5::DataSet& ds, index_t D)
    {
        chunk_plan p;
        const H5::DSetCreatPropList dcpl = ds.getCreatePlist();
        if (dcpl.getLayout() != H5D_CHUNKED) return p;
        hsize_t dims[2] = {0, 0};
        if (dcpl.getChunk(2, dims) != 2 || dims[0] != static_cast<hsize_t>(D) || dims[1] == 0) return p;
        // Chunks no longer than the dataset and under 1 GiB decoded (a damaged file may claim any size).
        const auto shape = detail::dims_of(ds.getSpace());
        if (shape.size() != 2 || dims[1] > shape[1] || dims[0] * dims[1] * 4 > (hsize_t(1) << 30)) return p;
        const H5::DataType type = ds.getDataType();
        const int size = detail::direct_float_size(type.getId());
        if (size == 0) return p;
        p.pipe.element_size = static_cast<std::size_t>(size);
        // Our pipeline is a subsequence of (shuffle, deflate, fletcher32), in that order.
        int stage = 0;
        for (int i = 0, n = dcpl.getNfilters(); i < n; ++i) {
            unsigned flags = 0, cd[8] = {};
            std::size_t ncd = 8;
            char name[64];
            unsigned config = 0;
            const H5Z_filter_t f = H5Pget_filter2(dcpl.getId(), static_cast<unsigned>(i), &flags, &ncd, cd, sizeof name, name, &config);
            if (f == H5Z_FILTER_SHUFFLE && stage < 1) {
                p.pipe.shuffle = true;
                stage = 1;
            } else if (f == H5Z_FILTER_DEFLATE && stage < 2) {
                p.pipe.deflate = ncd > 0 && cd[0] > 0 ? static_cast<int>(cd[0]) : 1;
                stage = 2;
            } else if (f == H5Z_FILTER_FLETCHER32 && stage < 3) {
                p.pipe.fletcher32 = true;
                stage = 3;
            } else {
                return chunk_plan{};
            }
        }
        p.direct = true;
        p.positions = static_cast<index_t>(dims[1]);
        return p;
    }

    /// Chunk k of region r, its filters undone: [D, chunk positions] values of the stored type
    /// (float32 or float16; positions past the region's end hold the fill value 0). HDF5 is called
    /// under this store's lock; checking, inflating and unshuffling run unlocked.
    void read_chunk(index_t region, index_t k, unsigned char* raw) const
    {
        const chunk_plan& plan = plans_[static_cast<std::size_t>(region)];
        const std::string name = "/regions/" + regions_[static_cast<std::size_t>(region)].name + "/signal";
        const std::string doing = "reading dataset " + name + " (chunk at position " + std::to_string(k * plan.positions) + ")";
        const std::size_t raw_bytes = static_cast<std::size_t>(tracks() * plan.positions) * plan.pipe.element_size;
        thread_local std::vector<unsigned char> stored;
        std::uint32_t skipped = 0;
        {
            std::lock_guard<std::mutex> lock(*h5_mutex_);
            silence_hdf5_errors();
            detail::translate_h5_errors(path(), doing, [&] {
                const hid_t id = signal_[static_cast<std::size_t>(region)].getId();
                const hsize_t off[2] = {0, static_cast<hsize_t>(k * plan.positions)};
                hsize_t bytes = 0;
                if (H5Dget_chunk_storage_size(id, off, &bytes) < 0) throw H5::DataSetIException("H5Dget_chunk_storage_size", "");
                const hsize_t most = raw_bytes + raw_bytes / 64 + 1024;  // more than deflate can ever make of it
                if (bytes > most)
                    throw io_error(path().string() + ": " + doing + " failed: checksum mismatch, the file is damaged (a chunk of " +
                                   std::to_string(bytes) + " bytes, at most " + std::to_string(most) + " expected)");
                stored.resize(static_cast<std::size_t>(bytes));
                if (bytes > 0 && H5Dread_chunk(id, H5P_DEFAULT, off, &skipped, stored.data()) < 0)
                    throw H5::DataSetIException("H5Dread_chunk", "");
            });
        }
        if (stored.empty()) {  // never written: HDF5's fill value
            std::fill_n(raw, raw_bytes, static_cast<unsigned char>(0));
            return;
        }
        codec::decode(plan.pipe, stored, skipped, raw, raw_bytes, path().string() + ": " + doing);
    }

    void read_hyperslab(index_t region, index_t first, index_t count, float* out_position_major) const
    {
        const index_t D = tracks();
        std::vector<float> track_major(static_cast<std::size_t>(D * count));
        const std::string name = "/regions/" + regions_[static_cast<std::size_t>(region)].name + "/signal";
        std::lock_guard<std::mutex> lock(*h5_mutex_);
        silence_hdf5_errors();
        detail::translate_h5_errors(path(), "reading dataset " + name, [&] {
            const H5::DataSet& ds = signal_[static_cast<std::size_t>(region)];
            H5::DataSpace fs = ds.getSpace();
            const hsize_t off[2] = {0, static_cast<hsize_t>(first)};
            const hsize_t cnt[2] = {static_cast<hsize_t>(D), static_cast<hsize_t>(count)};
            fs.selectHyperslab(H5S_SELECT_SET, cnt, off);
            H5::DataSpace ms(2, cnt);
            ds.read(track_major.data(), H5::PredType::NATIVE_FLOAT, ms, fs);
        });
        codec::to_position_major(track_major.data(), count, D, count, out_position_major);
    }

    static input_file open_checked(const std::filesystem::path& path)
    {
        try {
            return input_file(path);
        } catch (const io_error& e) {
            throw input_error(std::string(e.what()) + " (is " + path.string() +
                              " a truncated or corrupt signal store?)");
        }
    }

    void check_range(index_t region, index_t first, index_t count) const
    {
        if (region < 0 || region >= static_cast<index_t>(regions_.size()))
            throw shape_error(path().string() + ": region index " + std::to_string(region) + " out of range (the store has " +
                              std::to_string(regions_.size()) + " regions)");
        const auto& r = regions_[static_cast<std::size_t>(region)];
        if (first < 0 || count < 0 || first + count > r.positions)
            throw shape_error(path().string() + ": positions [" + std::to_string(first) + ", " +
                              std::to_string(first + count) + ") out of range for region " + r.name + " (" +
                              std::to_string(r.positions) + " positions)");
    }

    std::string where(const std::string& object) const { return path().string() + ": " + object; }

    void load()
    {
        const std::string p = path().string();
        if (!file_.has_attribute("/", "format"))
            throw input_error(p + ": not an epilstm signal store (root attribute 'format' is missing; expected \"" +
                              signal_store_format + "\")");
        const std::string fmt = file_.read_string_attribute("/", "format");
        if (fmt != signal_store_format)
            throw input_error(p + ": not an epilstm signal store (root attribute 'format' is \"" + fmt + "\", expected \"" +
                              signal_store_format + "\")");
        const long version = file_.read_int_attribute("/", "version");
        if (version != signal_store_version)
            throw input_error(p + ": signal store version " + std::to_string(version) + " is not supported (expected " +
                              std::to_string(signal_store_version) + ")");
        bin_size_ = file_.read_int_attribute("/", "bin_size");
        if (bin_size_ <= 0) throw input_error(p + ": root attribute 'bin_size' is " + std::to_string(bin_size_) + ", expected > 0");
        transform_ = file_.read_string_attribute("/", "transform");
        genome_path_ = file_.read_string_attribute("/", "genome");

        const auto ids = file_.read_strings("/tracks/id");
        const auto cells = file_.read_strings("/tracks/cell_type");
        const auto assays = file_.read_strings("/tracks/assay");
        const auto paths = file_.read_strings("/tracks/path");
        for (const auto* v : {&cells, &assays, &paths})
            if (v->size() != ids.size())
                throw shape_error(p + ": /tracks/* have different lengths (" + std::to_string(ids.size()) + " ids vs " +
                                  std::to_string(v->size()) + "), expected one entry per track in each");
        if (ids.empty()) throw input_error(p + ": dataset /tracks/id is empty, expected at least one track");
        for (std::size_t i = 0; i < ids.size(); ++i) tracks_.push_back({ids[i], cells[i], assays[i], paths[i]});
        track_ids_ = ids;

        const auto chrom_names = file_.read_strings("/genome/chrom");
        const auto sizes = read_int64_vector("/genome/size", static_cast<index_t>(chrom_names.size()));
        for (std::size_t i = 0; i < chrom_names.size(); ++i) chroms_.push_back({chrom_names[i], sizes[i]});

        const auto names = file_.read_strings("/regions/names");
        const index_t D = tracks();
        for (const auto& name : names) {
            const std::string g = "/regions/" + name;
            const std::string sig = g + "/signal";
            region_info r;
            r.name = name;
            r.chrom = file_.read_string_attribute(sig, "chrom");
            r.start = file_.read_int_attribute(sig, "start");
            r.end = file_.read_int_attribute(sig, "end");
            r.bin_size = file_.read_int_attribute(sig, "bin_size");
            if (r.bin_size != bin_size_)
                throw input_error(where(sig) + " has bin_size " + std::to_string(r.bin_size) + ", expected the store's " +
                                  std::to_string(bin_size_));
            if (r.end <= r.start || r.start < 0 || (r.end - r.start) % r.bin_size != 0)
                throw input_error(where(sig) + " has start " + std::to_string(r.start) + " and end " + std::to_string(r.end) +
                                  ", expected 0 <= start < end with end - start a multiple of bin_size " +
                                  std::to_string(r.bin_size));
            r.positions = static_cast<index_t>((r.end - r.start) / r.bin_size);
            H5::DataSet ds = file_.open_dataset(sig);
            const auto dims = detail::translate_h5_errors(path(), "reading the shape of " + sig, [&] {
                if (ds.getTypeClass() != H5T_FLOAT)
                    throw input_error(where(sig) + " has element type " + detail::describe_type(ds.getDataType()) +
                                      ", expected float32 or float16");
                return detail::dims_of(ds.getSpace());
            });
            if (dims.size() != 2 || dims[0] != static_cast<hsize_t>(D) || dims[1] != static_cast<hsize_t>(r.positions))
                throw shape_error(where(sig) + " has shape " + detail::shape_string(dims) + ", expected [" + std::to_string(D) +
                                  ", " + std::to_string(r.positions) + "] (tracks x (end - start) / bin_size)");
            H5::DataSet ms = file_.open_dataset(g + "/missing");
            const auto mdims = detail::translate_h5_errors(path(), "reading the shape of " + g + "/missing", [&] {
                if (!detail::is_integer_like(ms.getDataType()))
                    throw input_error(where(g + "/missing") + " has element type " + detail::describe_type(ms.getDataType()) +
                                      ", expected uint8");
                return detail::dims_of(ms.getSpace());
            });
            if (mdims.size() != 1 || mdims[0] != static_cast<hsize_t>(r.positions))
                throw shape_error(where(g + "/missing") + " has shape " + detail::shape_string(mdims) + ", expected [" +
                                  std::to_string(r.positions) + "]");
            const chunk_plan plan = detail::translate_h5_errors(path(), "reading the layout of " + sig, [&] { return plan_for(ds, D); });
            if (regions_.empty())
                precision_ = detail::translate_h5_errors(path(), "reading the type of " + sig, [&] { return ds.getDataType().getSize(); }) == 2
                                 ? store_precision::float16
                                 : store_precision::float32;
            plans_.push_back(plan);
            regions_.push_back(std::move(r));
            signal_.push_back(std::move(ds));
            missing_.push_back(std::move(ms));
        }
    }

    std::vector<std::int64_t> read_int64_vector(const std::string& name, index_t size) const
    {
        H5::DataSet ds = file_.open_dataset(name);
        return detail::translate_h5_errors(path(), "reading dataset " + name, [&] {
            const auto dims = detail::dims_of(ds.getSpace());
            if (ds.getTypeClass() != H5T_INTEGER)
                throw input_error(where(name) + " has element type " + detail::describe_type(ds.getDataType()) +
                                  ", expected int64");
            if (dims.size() != 1 || dims[0] != static_cast<hsize_t>(size))
                throw shape_error(where(name) + " has shape " + detail::shape_string(dims) + ", expected [" +
                                  std::to_string(size) + "]");
            std::vector<std::int64_t> v(static_cast<std::size_t>(size));
            if (size > 0) ds.read(v.data(), H5::PredType::NATIVE_INT64);
            return v;
        });
    }

    input_file file_;
    index_t bin_size_ = 0;
    std::string transform_;
    std::string genome_path_;
    std::vector<track_info> tracks_;
    std::vector<std::string> track_ids_;
    std::vector<chrom_size> chroms_;
    std::vector<region_info> regions_;
    std::vector<H5::DataSet> signal_;
    std::vector<H5::DataSet> missing_;
    std::vector<chunk_plan> plans_;
    store_precision precision_ = store_precision::float32;
    std::unique_ptr<std::mutex> h5_mutex_ = std::make_unique<std::mutex>();  // a pointer: the store stays movable
};

/// Writes a signal store region by region, block by block, to a temporary file that commit()
/// renames over the target. Destroyed without commit() (an exception), it leaves any previous file
/// at the target untouched and removes the temporary file.
class signal_store_writer {
public:
    static constexpr index_t default_chunk_positions = 4096;

    signal_store_writer(const std::filesystem::path& target, const std::vector<track_info>& tracks, const genome& g,
                        index_t bin_size, const std::string& transform, index_t chunk_positions = default_chunk_positions,
                        int deflate_level = 4)
        : signal_store_writer(target, tracks, g, bin_size, transform, store_options{chunk_positions, deflate_level})
    {
    }

    signal_store_writer(const std::filesystem::path& target, const std::vector<track_info>& tracks, const genome& g,
                        index_t bin_size, const std::string& transform, const store_options& opt)
        : out_(target), D_(static_cast<index_t>(tracks.size())), bin_size_(bin_size), chunk_(opt.chunk_positions),
          precision_(opt.precision), threads_(epilstm::detail::resolve_threads(opt.threads))
    {
        if (D_ <= 0) throw input_error(target.string() + ": a signal store needs at least one track");
        if (bin_size <= 0) throw input_error("bin size " + std::to_string(bin_size) + " must be positive");
        if (chunk_ <= 0) throw input_error("chunk size " + std::to_string(chunk_) + " must be a positive number of positions");
        if (opt.deflate_level < 0 || opt.deflate_level > 9)
            throw input_error("deflate level " + std::to_string(opt.deflate_level) + " is not in 0..9 (0: uncompressed)");
        pipe_.element_size = precision_ == store_precision::float16 ? 2 : 4;
        pipe_.shuffle = opt.deflate_level > 0;
        pipe_.deflate = opt.deflate_level;
        pipe_.fletcher32 = true;
        out_.write_string_attribute("/", "format", signal_store_format);
        out_.write_int_attribute("/", "version", signal_store_version);
        out_.write_int_attribute("/", "bin_size", bin_size);
        out_.write_string_attribute("/", "transform", transform);
        out_.write_string_attribute("/", "genome", g.path.string());
        std::vector<std::string> ids, cells, assays, paths;
        for (const auto& t : tracks) {
            ids.push_back(t.id);
            cells.push_back(t.cell_type);
            assays.push_back(t.assay);
            paths.push_back(t.path);
        }
        out_.write_strings("/tracks/id", ids);
        out_.write_strings("/tracks/cell_type", cells);
        out_.write_strings("/tracks/assay", assays);
        out_.write_strings("/tracks/path", paths);
        std::vector<std::string> names;
        std::vector<long long> sizes;
        for (const auto& c : g.chroms) {
            names.push_back(c.name);
            sizes.push_back(c.size);
        }
        out_.write_strings("/genome/chrom", names);
        out_.write_int64_vector("/genome/size", sizes);
        out_.create_group("/regions");
    }

    index_t tracks() const { return D_; }

    /// Starts region `name` covering [start, end) (bin-aligned) of `chrom`.
    void begin_region(const std::string& name, const std::string& chrom, std::int64_t start, std::int64_t end)
    {
        if (open_) throw error("signal_store_writer: begin_region before end_region of " + region_.name);
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "names")
            throw input_error("region name '" + name + "' cannot be an HDF5 group name");
        if (end <= start || (end - start) % bin_size_ != 0)
            throw input_error("region " + name + " " + chrom + ":" + std::to_string(start) + "-" + std::to_string(end) +
                              " is not a whole number of " + std::to_string(bin_size_) + " bp bins");
        for (const auto& n : names_)
            if (n == name) throw input_error("region name '" + name + "' appears twice; region names must be unique");
        region_ = {name, chrom, start, end, bin_size_, static_cast<index_t>((end - start) / bin_size_)};
        written_ = 0;
        region_chunk_ = std::min(chunk_, region_.positions);
        pending_.assign(static_cast<std::size_t>(D_ * region_chunk_), 0.0f);
        pending_n_ = 0;
        next_chunk_ = 0;
        covered_.assign(static_cast<std::size_t>(D_), 0);
        const std::string g = "/regions/" + name;
        out_.create_group(g);
        const hsize_t n = static_cast<hsize_t>(region_.positions);
        detail::translate_h5_errors(out_.target(), "creating " + g, [&] {
            H5::H5File& f = out_.h5();
            const hsize_t dims[2] = {static_cast<hsize_t>(D_), n};
            const hsize_t chunk[2] = {static_cast<hsize_t>(D_), std::min<hsize_t>(n, static_cast<hsize_t>(chunk_))};
            H5::DSetCreatPropList dcpl;
            dcpl.setChunk(2, chunk);
            if (pipe_.shuffle) dcpl.setShuffle();  // the order of pipe_: shuffle, deflate, fletcher32
            if (pipe_.deflate > 0) dcpl.setDeflate(pipe_.deflate);
            detail::add_checksum(dcpl);
            detail::untimed(dcpl);
            const H5::DataType type = precision_ == store_precision::float16 ? H5::DataType(detail::half_file_type())
                                                                              : H5::DataType(H5::PredType::IEEE_F32LE);
            signal_ = f.createDataSet(g + "/signal", type, H5::DataSpace(2, dims), dcpl);
            const hsize_t mdims[1] = {n};
            const hsize_t mchunk[1] = {chunk[1]};
            H5::DSetCreatPropList mcpl;
            mcpl.setChunk(1, mchunk);
            mcpl.setDeflate(std::max(pipe_.deflate, 1));
            detail::add_checksum(mcpl);
            detail::untimed(mcpl);
            missing_ = f.createDataSet(g + "/missing", H5::PredType::STD_U8LE, H5::DataSpace(1, mdims), mcpl);
        });
        out_.write_string_attribute(g + "/signal", "chrom", chrom);
        out_.write_int_attribute(g + "/signal", "start", static_cast<long>(start));
        out_.write_int_attribute(g + "/signal", "end", static_cast<long>(end));
        out_.write_int_attribute(g + "/signal", "bin_size", bin_size_);
        open_ = true;
    }

    /// Appends the next `count` positions of the current region: `track_major` is [D, count]
    /// row-major (track d's values at track_major[d * count + i]); `has_data` likewise [D, count]
    /// (1 where that track has data). The all-missing flags and coverage are derived from it; returns
    /// how many of the `count` positions have no data in any track. The per-track checks, the flags and
    /// the chunks' encoding run on the writer's threads; HDF5 is called from the calling thread only.
    index_t write_block(index_t count, const float* track_major, const std::uint8_t* has_data)
    {
        if (!open_) throw error("signal_store_writer: write_block outside a region");
        if (count <= 0) return 0;
        if (written_ + count > region_.positions)
            throw error("signal_store_writer: region " + region_.name + " has only " + std::to_string(region_.positions) +
                        " positions");
        // Per track: covered positions, and float16's range (the lowest failing track is reported).
        std::vector<long long> covered(static_cast<std::size_t>(D_), 0);
        epilstm::detail::parallel_for(threads_, static_cast<std::size_t>(D_), [&](std::size_t t) {
            const index_t d = static_cast<index_t>(t);
            const std::uint8_t* h = has_data + d * count;
            long long c = 0;
            for (index_t i = 0; i < count; ++i) c += h[i] != 0;
            covered[t] = c;
            if (precision_ != store_precision::float16) return;
            const float* v = track_major + d * count;
            for (index_t i = 0; i < count; ++i)
                if (std::abs(v[i]) > codec::half_max)
                    throw input_error("region " + region_.name + ", track " + std::to_string(d + 1) + ", position " +
                                      std::to_string(written_ + i) + ": value " + std::to_string(v[i]) +
                                      " is beyond float16's range (±65504); store it with precision float32");
        });
        // All-missing flags, over slices of positions (each reads every track's slice).
        std::vector<std::uint8_t> missing(static_cast<std::size_t>(count), 1);
        const index_t slice = 4096;
        std::vector<index_t> slice_missing(static_cast<std::size_t>((count + slice - 1) / slice), 0);
        epilstm::detail::parallel_for(threads_, slice_missing.size(), [&](std::size_t j) {
            const index_t a = static_cast<index_t>(j) * slice, b = std::min(count, a + slice);
            std::uint8_t* m = missing.data() + a;
            for (index_t d = 0; d < D_; ++d) {
                const std::uint8_t* h = has_data + d * count + a;
                for (index_t i = 0; i < b - a; ++i) m[i] &= static_cast<std::uint8_t>(h[i] == 0);
            }
            index_t n = 0;
            for (index_t i = 0; i < b - a; ++i) n += m[i];
            slice_missing[j] = n;
        });
        for (index_t d = 0; d < D_; ++d) covered_[static_cast<std::size_t>(d)] += covered[static_cast<std::size_t>(d)];
        detail::translate_h5_errors(out_.target(), "writing /regions/" + region_.name + "/missing", [&] {
            H5::DataSpace mfs = missing_.getSpace();
            const hsize_t off[1] = {static_cast<hsize_t>(written_)};
            const hsize_t cnt[1] = {static_cast<hsize_t>(count)};
            mfs.selectHyperslab(H5S_SELECT_SET, cnt, off);
            missing_.write(missing.data(), H5::PredType::NATIVE_UINT8, H5::DataSpace(1, cnt), mfs);
        });
        // Cut the block into whole chunks [D, c]: a chunk is the positions left over from the previous
        // block (pending_) followed by this block's; the region's last may be partial, padded with
        // HDF5's fill value 0. Each is gathered, converted and compressed on the writer's threads and
        // written in order; what does not fill a chunk waits in pending_ for the next block.
        const index_t c = region_chunk_;
        struct piece {
            index_t from, take, carried;  // this block's [from, from + take) after `carried` pending positions
        };
        std::vector<piece> pieces;
        index_t i = 0;
        for (index_t carried = pending_n_; i < count; carried = 0) {
            const index_t take = std::min(c - carried, count - i);
            if (carried + take < c && written_ + i + take < region_.positions) break;  // not a whole chunk yet
            pieces.push_back({i, take, carried});
            i += take;
        }
        // Gathers piece p into a zero-padded chunk of `buf`'s type, through put(floats, out, n).
        auto encode_piece = [&](const piece& p, auto& buf, auto&& put) {
            buf.assign(static_cast<std::size_t>(D_ * c), 0);
            for (index_t d = 0; d < D_; ++d) {
                auto* row = buf.data() + d * c;
                put(pending_.data() + d * c, row, static_cast<std::size_t>(p.carried));
                put(track_major + d * count + p.from, row + p.carried, static_cast<std::size_t>(p.take));
            }
            return codec::encode(pipe_, reinterpret_cast<const unsigned char*>(buf.data()), buf.size() * sizeof(buf[0]));
        };
        std::vector<std::vector<unsigned char>> encoded(pieces.size());
        epilstm::detail::parallel_for(threads_, pieces.size(), [&](std::size_t j) {
            if (precision_ == store_precision::float16) {
                thread_local std::vector<std::uint16_t> halves;
                encoded[j] = encode_piece(pieces[j], halves, codec::floats_to_halves);
            } else {
                thread_local std::vector<float> floats;
                encoded[j] = encode_piece(pieces[j], floats,
                                          [](const float* in, float* out, std::size_t n) { std::copy_n(in, n, out); });
            }
        });
        if (!pieces.empty()) pending_n_ = 0;
        for (index_t d = 0; d < D_ && i < count; ++d)
            std::copy_n(track_major + d * count + i, count - i, pending_.data() + d * c + pending_n_);
        pending_n_ += count - i;
        for (const auto& e : encoded) {
            detail::translate_h5_errors(out_.target(), "writing /regions/" + region_.name + "/signal", [&] {
                const hsize_t off[2] = {0, static_cast<hsize_t>(next_chunk_ * c)};
                if (H5Dwrite_chunk(signal_.getId(), H5P_DEFAULT, 0, off, e.size(), e.data()) < 0)
                    throw H5::DataSetIException("H5Dwrite_chunk", "");
            });
            ++next_chunk_;
        }
        written_ += count;
        index_t none = 0;
        for (index_t n : slice_missing) none += n;
        return none;
    }

    /// Finishes the current region (all its positions must have been written); returns the
    /// per-track coverage written to /regions/<name>/track_coverage.
    std::vector<float> end_region()
    {
        if (!open_) throw error("signal_store_writer: end_region outside a region");
        if (written_ != region_.positions)
            throw error("signal_store_writer: region " + region_.name + " got " + std::to_string(written_) + " of " +
                        std::to_string(region_.positions) + " positions");
        Eigen::VectorXf cov(D_);
        for (index_t d = 0; d < D_; ++d)
            cov[d] = static_cast<float>(static_cast<double>(covered_[static_cast<std::size_t>(d)]) /
                                        static_cast<double>(region_.positions));
        out_.write_vector("/regions/" + region_.name + "/track_coverage", cov);
        signal_ = H5::DataSet();
        missing_ = H5::DataSet();
        names_.push_back(region_.name);
        open_ = false;
        return std::vector<float>(cov.data(), cov.data() + cov.size());
    }

    /// Writes /regions/names and renames the file into place.
    void commit()
    {
        if (open_) throw error("signal_store_writer: commit inside region " + region_.name);
        if (names_.empty()) throw input_error(out_.target().string() + ": a signal store needs at least one region");
        out_.write_strings("/regions/names", names_);
        out_.commit();
    }

    const std::filesystem::path& temp_path() const { return out_.temp_path(); }

private:
    atomic_output_file out_;
    index_t D_;
    index_t bin_size_;
    index_t chunk_;
    store_precision precision_;
    int threads_;
    codec::pipeline pipe_;
    bool open_ = false;
    index_t region_chunk_ = 0;      // positions per chunk of the current region
    std::vector<float> pending_;    // [D, region_chunk_]: the chunk being filled
    index_t pending_n_ = 0;
    index_t next_chunk_ = 0;
    region_info region_;
    index_t written_ = 0;
    std::vector<long long> covered_;
    std::vector<std::string> names_;
    H5::DataSet signal_;
    H5::DataSet missing_;
};

}  // namespace epilstm::io
