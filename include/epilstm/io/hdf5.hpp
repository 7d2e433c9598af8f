// HDF5 utilities shared by the checkpoint and matrix readers and writers (HDF5 1.10 C++ API).
//
// Reading goes through `input_file`, which opens a file read-only and validates every dataset it
// hands out (existence, rank, element class, expected dimensions), so that a wrong input surfaces as
// one epilstm::error naming the file, the dataset and what was expected, instead of HDF5's error
// stack. Writing goes through `atomic_output_file`: everything is written to `<path>.tmp-<pid>` in
// the same directory and only `commit()` renames it over the target, so a crash or an exception
// never leaves a half-written file at the target and a previous file there survives a failed write.
//
// Matrices are exchanged as row-major Eigen matrices of float (`row_matrix`): HDF5 datasets are
// row-major, so [N, D] on disk is N rows of D floats in memory with no transpose.
//
// HDF5's automatic error printing is turned off (H5::Exception::dontPrint()) whenever a file is
// opened or created here; every H5::Exception is caught and rethrown as epilstm::io_error with the
// file name.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>

#include <Eigen/Core>
#include <H5Cpp.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace epilstm::io {

/// A dense float matrix in HDF5's (row-major) order.
using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {

/// HDF5's description of a failed Fletcher-32 check (H5Zfletcher32.c).
inline constexpr std::string_view checksum_marker = "Fletcher32 checksum";

/// Set when an HDF5 call of this thread failed on a checksum; translate_h5_errors reads it.
inline thread_local bool checksum_failure_seen = false;

/// HDF5's "automatic" error handler, which it calls when an API call fails, while the error stack
/// still holds the reason (the next call, e.g. a handle closed while unwinding, clears it): prints
/// nothing, notes a failed checksum.
inline herr_t note_hdf5_error(hid_t stack, void*) noexcept
{
    H5Ewalk2(stack, H5E_WALK_DOWNWARD,
             [](unsigned, const H5E_error2_t* e, void*) -> herr_t {
                 if (e->desc && std::string_view(e->desc).find(checksum_marker) != std::string_view::npos)
                     checksum_failure_seen = true;
                 return 0;
             },
             nullptr);
    return 0;
}

}  // namespace detail

/// Turns off HDF5's automatic printing of its error stack (for the calling thread; the library is
/// built thread-safe, so the setting is per thread) and installs detail::note_hdf5_error in its
/// place. Called by every entry point of this module.
inline void silence_hdf5_errors() noexcept { H5Eset_auto2(H5E_DEFAULT, detail::note_hdf5_error, nullptr); }

/// How a dataset is stored. The defaults give a contiguous, uncompressed dataset.
struct write_options {
    bool compress = false;      ///< shuffle + deflate
    int deflate_level = 4;      ///< 1 (fast) .. 9 (small); used when compress
    index_t chunk_rows = 0;     ///< rows per chunk; 0 = about 1 MiB per chunk
};

namespace detail {

/// "/name" for messages and for HDF5 calls (absolute from the root).
inline std::string absolute_name(std::string_view name)
{
    std::string s(name);
    if (s.empty() || s.front() != '/') s.insert(s.begin(), '/');
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

inline std::string shape_string(const std::vector<hsize_t>& dims)
{
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(dims[i]);
    }
    return s + "]";
}

/// "[100, 25]", with "*" for a dimension that may be anything (negative).
inline std::string expected_shape_string(std::initializer_list<index_t> dims)
{
    std::string s = "[";
    bool first = true;
    for (index_t d : dims) {
        if (!first) s += ", ";
        first = false;
        s += d < 0 ? std::string("*") : std::to_string(d);
    }
    return s + "]";
}

/// "float32", "int64", "uint8", "string", "compound", ... for messages.
inline std::string describe_type(const H5::DataType& type)
{
    const hid_t id = type.getId();
    const std::size_t bits = H5Tget_size(id) * 8;
    switch (H5Tget_class(id)) {
    case H5T_INTEGER: return (H5Tget_sign(id) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_STRING: return "string";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_COMPOUND: return "compound";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum (e.g. bool)";
    case H5T_VLEN: return "variable-length sequence";
    case H5T_ARRAY: return "array";
    default: return "unknown type";
    }
}

/// Every numeric dataset epilstm writes is chunked and carries HDF5's Fletcher-32 checksum of each
/// chunk, added last in the filter pipeline so that it covers the bytes on disk. HDF5 verifies it
/// on every read: a damaged byte is an error naming the file and dataset, never a different number.
inline void add_checksum(H5::DSetCreatPropList& dcpl) { dcpl.setFletcher32(); }

/// No dataset epilstm writes records its modification time (HDF5 stores one in each dataset's
/// object header by default): a file is a function of what was written, so the same run writes the
/// same bytes (an `embed` over MPI ranks equals a one-process embed byte for byte, whenever each ran).
inline H5::DSetCreatPropList& untimed(H5::DSetCreatPropList& dcpl)
{
    if (H5Pset_obj_track_times(dcpl.getId(), false) < 0) throw H5::PropListIException("H5Pset_obj_track_times");
    return dcpl;
}
/// The creation properties of a dataset without chunks or filters (strings), untimed.
inline H5::DSetCreatPropList untimed_plain()
{
    H5::DSetCreatPropList dcpl;
    untimed(dcpl);
    return dcpl;
}

/// Runs f, turning any H5::Exception into an io_error "<file>: <doing>: <HDF5's reason>" (a failed
/// checksum: "<file>: <doing> failed: checksum mismatch, the file is damaged").
template <class F>
decltype(auto) translate_h5_errors(const std::filesystem::path& file, std::string_view doing, F&& f)
{
    checksum_failure_seen = false;
    try {
        return std::forward<F>(f)();
    } catch (const H5::Exception& e) {
        if (checksum_failure_seen)
            throw io_error(file.string() + ": " + std::string(doing) +
                           " failed: checksum mismatch, the file is damaged (its bytes differ from what was written)");
        std::string reason = e.getDetailMsg();
        throw io_error(file.string() + ": " + std::string(doing) + " failed" +
                       (reason.empty() ? std::string() : " (HDF5: " + reason + ")"));
    }
}

enum class object_kind { missing, group, dataset, other };

/// What `name` is in `loc`, walking the path one component at a time (H5Lexists fails rather than
/// answering false when an intermediate group is missing). `blocker` receives the first component
/// that is missing or is not a group.
inline object_kind kind_of(const H5::H5File& loc, const std::string& name, std::string* blocker = nullptr)
{
    const std::string full = absolute_name(name);
    if (full == "/") return object_kind::group;
    std::string prefix;
    std::size_t pos = 1;
    while (true) {
        const std::size_t next = full.find('/', pos);
        const bool last = next == std::string::npos;
        prefix = full.substr(0, last ? std::string::npos : next);
        pos = last ? full.size() : next + 1;
        if (prefix.back() == '/') continue;  // "a//b"
        H5O_type_t type = H5O_TYPE_UNKNOWN;
        try {
            if (!loc.nameExists(prefix)) {
                if (blocker) *blocker = prefix;
                return object_kind::missing;
            }
            type = loc.childObjType(prefix);
        } catch (const H5::Exception&) {  // a dangling soft or external link
            if (blocker) *blocker = prefix;
            return object_kind::missing;
        }
        if (last) {
            if (type == H5O_TYPE_GROUP) return object_kind::group;
            if (type == H5O_TYPE_DATASET) return object_kind::dataset;
            return object_kind::other;
        }
        if (type != H5O_TYPE_GROUP) {
            if (blocker) *blocker = prefix;
            return object_kind::missing;
        }
    }
}

inline std::vector<hsize_t> dims_of(const H5::DataSpace& space)
{
    const int rank = space.getSimpleExtentNdims();
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) space.getSimpleExtentDims(dims.data());
    return dims;
}

/// Throws an H5::Exception (turned into an io_error by translate_h5_errors) when a C call failed.
inline void check_h5(herr_t status, const char* call)
{
    if (status < 0) throw H5::Exception(call, std::string(call) + " failed");
}

/// Reads the whole of an attribute (when `attribute`) or dataset `id` into buf as `mem_type`.
inline void read_all(hid_t id, bool attribute, hid_t mem_type, void* buf)
{
    if (attribute)
        check_h5(H5Aread(id, mem_type, buf), "H5Aread");
    else
        check_h5(H5Dread(id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "H5Dread");
}

/// An owned HDF5 datatype id from the C API, closed on scope exit.
struct type_id_guard {
    hid_t id;
    explicit type_id_guard(hid_t i, const char* call) : id(i) { check_h5(i < 0 ? -1 : 0, call); }
    type_id_guard(const type_id_guard&) = delete;
    type_id_guard& operator=(const type_id_guard&) = delete;
    ~type_id_guard() { H5Tclose(id); }
};

/// Reads the n strings (fixed or variable length) of attribute or dataset `id`, stored as `type`.
inline std::vector<std::string> read_string_elements(hid_t id, bool attribute, const H5::StrType& type,
                                                     const H5::DataSpace& space, std::size_t n)
{
    std::vector<std::string> out;
    out.reserve(n);
    if (n == 0) return out;
    if (type.isVariableStr()) {
        H5::StrType mem(H5::PredType::C_S1, H5T_VARIABLE);
        mem.setCset(type.getCset());
        std::vector<char*> ptrs(n, nullptr);
        read_all(id, attribute, mem.getId(), ptrs.data());
        for (char* p : ptrs) out.emplace_back(p ? p : "");
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mem.getId(), space.getId(), H5P_DEFAULT, ptrs.data());
#else
        H5Dvlen_reclaim(mem.getId(), space.getId(), H5P_DEFAULT, ptrs.data());
#endif
    } else {
        const std::size_t len = type.getSize();
        std::vector<char> buf(n * len, '\0');
        read_all(id, attribute, type.getId(), buf.data());
        const bool space_padded = type.getStrpad() == H5T_STR_SPACEPAD;
        for (std::size_t i = 0; i < n; ++i) {
            const char* s = buf.data() + i * len;
            std::size_t l = 0;
            while (l < len && s[l] != '\0') ++l;
            std::string str(s, l);
            if (space_padded)
                while (!str.empty() && str.back() == ' ') str.pop_back();
            out.push_back(std::move(str));
        }
    }
    return out;
}

/// Reads the n integer-valued elements of attribute or dataset `id`, stored as an integer type or
/// as an enum over an integer (h5py stores numpy bools as an int8 enum, which HDF5 will not convert
/// to an integer, so its base values are read raw and widened here).
inline std::vector<long long> read_integer_elements(hid_t id, bool attribute, const H5::DataType& type, std::size_t n)
{
    std::vector<long long> out(n, 0);
    if (n == 0) return out;
    if (type.getClass() == H5T_INTEGER) {
        read_all(id, attribute, H5T_NATIVE_LLONG, out.data());
        return out;
    }
    const type_id_guard super(H5Tget_super(type.getId()), "H5Tget_super");
    const bool is_signed = H5Tget_sign(super.id) != H5T_SGN_NONE;
    const type_id_guard native(H5Tget_native_type(type.getId(), H5T_DIR_DEFAULT), "H5Tget_native_type");
    const std::size_t size = H5Tget_size(native.id);
    std::vector<unsigned char> raw(n * size);
    read_all(id, attribute, native.id, raw.data());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char* p = raw.data() + i * size;
        std::uint64_t u = 0;
        std::memcpy(&u, p, std::min<std::size_t>(size, 8));  // little-endian host (x86-64, aarch64)
        if (is_signed && size < 8 && (p[size - 1] & 0x80)) u |= ~std::uint64_t(0) << (8 * size);
        out[i] = static_cast<long long>(u);
    }
    return out;
}

inline bool is_integer_like(const H5::DataType& type)
{
    if (type.getClass() == H5T_INTEGER) return true;
    if (type.getClass() != H5T_ENUM) return false;
    const hid_t super = H5Tget_super(type.getId());
    const bool ok = H5Tget_class(super) == H5T_INTEGER && H5Tget_size(super) <= 8;
    H5Tclose(super);
    return ok;
}

/// Opens `name` (a group or a dataset; "/" is the root group) as an H5Object and calls f with it.
template <class F>
decltype(auto) with_object(const H5::H5File& file, const std::filesystem::path& path, const std::string& name,
                           F&& f)
{
    const std::string full = absolute_name(name);
    switch (kind_of(file, full)) {
    case object_kind::group: {
        H5::Group g = file.openGroup(full);
        return f(static_cast<H5::H5Object&>(g));
    }
    case object_kind::dataset: {
        H5::DataSet d = file.openDataSet(full);
        return f(static_cast<H5::H5Object&>(d));
    }
    case object_kind::other:
        throw input_error(path.string() + ": object " + full + " is neither a group nor a dataset");
    case object_kind::missing: break;
    }
    throw input_error(path.string() + ": object " + full + " not found");
}

inline std::uint64_t next_temp_sequence()
{
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1);
}

/// fsync a file or directory by path; returns false on failure.
inline bool fsync_path(const std::filesystem::path& p, bool directory)
{
    const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace detail

/// Throws input_error naming `file`, `dataset` and the position (0-based row and column, or index
/// for a vector) of the first NaN or infinity, scanning in the file's (row-major) order.
template <class Derived>
void check_finite(const Eigen::DenseBase<Derived>& m, const std::filesystem::path& file, std::string_view dataset)
{
    if (m.derived().allFinite()) return;
    const bool vector = Derived::ColsAtCompileTime == 1;
    for (index_t r = 0; r < m.rows(); ++r)
        for (index_t c = 0; c < m.cols(); ++c) {
            const auto v = m(r, c);
            if (std::isfinite(v)) continue;
            const std::string what = std::isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf");
            const std::string where = vector ? "at index " + std::to_string(r)
                                             : "at row " + std::to_string(r) + ", column " + std::to_string(c);
            throw input_error(file.string() + ": dataset " + detail::absolute_name(dataset) + " has a non-finite value (" +
                              what + ") " + where + " (0-based); all values must be finite");
        }
}

/// An HDF5 file opened read-only, with validating readers. Every error names the file.
class input_file {
    // Helpers first: gcc cannot deduce the decltype(auto) of a member template used above its definition.
    template <class F>
    decltype(auto) with_attribute(const std::string& object, const std::string& attr, F&& f) const
    {
        const std::string full = detail::absolute_name(object);
        const std::string label = path_.string() + ": attribute '" + attr + "' of " + full;
        return detail::translate_h5_errors(path_, "reading attribute '" + attr + "' of " + full, [&] {
            return detail::with_object(file_, path_, full, [&](H5::H5Object& o) {
                if (!o.attrExists(attr)) throw input_error(label + " is missing");
                const H5::Attribute a = o.openAttribute(attr);
                return f(a, label);
            });
        });
    }

    void require_rank(const std::string& full, const std::vector<hsize_t>& dims, std::size_t rank,
                      const std::string& expected) const
    {
        if (dims.size() == rank) return;
        throw input_error(path_.string() + ": dataset " + full + " has rank " + std::to_string(dims.size()) + " (shape " +
                          detail::shape_string(dims) + "), expected rank " + std::to_string(rank) + " with shape " +
                          expected);
    }

    void require_float(const std::string& full, const H5::DataSet& ds) const
    {
        if (ds.getTypeClass() == H5T_FLOAT) return;
        throw input_error(path_.string() + ": dataset " + full + " has element type " +
                          detail::describe_type(ds.getDataType()) + ", expected floating point (float32 or float64)");
    }

public:
    /// Opens `path`; throws input_error if it does not exist, is a directory or is not an HDF5
    /// file, io_error if it cannot be opened.
    explicit input_file(std::filesystem::path path) : path_(std::move(path))
    {
        silence_hdf5_errors();
        std::error_code ec;
        const auto status = std::filesystem::status(path_, ec);
        if (ec || !std::filesystem::exists(status)) throw input_error(path_.string() + ": no such file");
        if (std::filesystem::is_directory(status))
            throw input_error(path_.string() + ": is a directory, expected an HDF5 file");
        bool hdf5 = false;
        try {
            hdf5 = H5::H5File::isHdf5(path_.c_str());
        } catch (const H5::Exception&) {
            throw io_error(path_.string() + ": cannot be read (check permissions)");
        }
        if (!hdf5) throw input_error(path_.string() + ": not an HDF5 file");
        detail::translate_h5_errors(path_, "opening the file", [&] {
            // No per-dataset chunk cache: HDF5's default keeps up to 1 MB of decompressed chunks for
            // every dataset ever read, so memory would grow with the number of regions of a store.
            // Readers here read whole chunks (io/store_source.hpp caches blocks itself).
            H5::FileAccPropList fapl;
            fapl.setCache(0, 0, 0, 0.75);
            file_.openFile(path_.c_str(), H5F_ACC_RDONLY, fapl);
        });
    }

    const std::filesystem::path& path() const { return path_; }
    /// The underlying HDF5 file, for what this class does not cover.
    const H5::H5File& h5() const { return file_; }

    /// True when `name` exists (any kind of object).
    bool has(const std::string& name) const
    {
        return detail::translate_h5_errors(path_, "looking up " + detail::absolute_name(name), [&] {
            return detail::kind_of(file_, name) != detail::object_kind::missing;
        });
    }
    bool has_dataset(const std::string& name) const
    {
        return detail::translate_h5_errors(path_, "looking up " + detail::absolute_name(name), [&] {
            return detail::kind_of(file_, name) == detail::object_kind::dataset;
        });
    }
    bool has_group(const std::string& name) const
    {
        return detail::translate_h5_errors(path_, "looking up " + detail::absolute_name(name), [&] {
            return detail::kind_of(file_, name) == detail::object_kind::group;
        });
    }

    /// Opens dataset `name`; input_error if it is missing or not a dataset.
    H5::DataSet open_dataset(const std::string& name) const
    {
        const std::string full = detail::absolute_name(name);
        return detail::translate_h5_errors(path_, "opening dataset " + full, [&] {
            std::string blocker;
            switch (detail::kind_of(file_, full, &blocker)) {
            case detail::object_kind::dataset: return file_.openDataSet(full);
            case detail::object_kind::missing:
                if (blocker != full) {
                    throw input_error(path_.string() + ": dataset " + full + " not found (" + blocker +
                                      " does not exist or is not a group)");
                }
                throw input_error(path_.string() + ": dataset " + full + " not found");
            case detail::object_kind::group:
                throw input_error(path_.string() + ": " + full + " is a group, expected a dataset");
            default: throw input_error(path_.string() + ": " + full + " is not a dataset");
            }
        });
    }

    /// The dimensions of dataset `name` ({} for a scalar).
    std::vector<hsize_t> shape(const std::string& name) const
    {
        H5::DataSet ds = open_dataset(name);
        return detail::translate_h5_errors(path_, "reading the shape of " + detail::absolute_name(name),
                                           [&] { return detail::dims_of(ds.getSpace()); });
    }

    /// Reads a 2-D floating-point dataset (float32 or float64, converted to float). `rows` / `cols`
    /// < 0 accept any size; otherwise a mismatch is a shape_error.
    row_matrix read_matrix(const std::string& name, index_t rows = -1, index_t cols = -1) const
    {
        const std::string full = detail::absolute_name(name);
        H5::DataSet ds = open_dataset(full);
        return detail::translate_h5_errors(path_, "reading dataset " + full, [&] {
            const auto dims = detail::dims_of(ds.getSpace());
            require_rank(full, dims, 2, detail::expected_shape_string({rows, cols}));
            require_float(full, ds);
            if ((rows >= 0 && dims[0] != static_cast<hsize_t>(rows)) || (cols >= 0 && dims[1] != static_cast<hsize_t>(cols)))
                throw shape_error(path_.string() + ": dataset " + full + " has shape " + detail::shape_string(dims) +
                                  ", expected " + detail::expected_shape_string({rows, cols}));
            row_matrix m(static_cast<index_t>(dims[0]), static_cast<index_t>(dims[1]));
            if (m.size() > 0) ds.read(m.data(), H5::PredType::NATIVE_FLOAT);
            return m;
        });
    }

    /// Reads a 1-D floating-point dataset; `size` < 0 accepts any length.
    Eigen::VectorXf read_vector(const std::string& name, index_t size = -1) const
    {
        const std::string full = detail::absolute_name(name);
        H5::DataSet ds = open_dataset(full);
        return detail::translate_h5_errors(path_, "reading dataset " + full, [&] {
            const auto dims = detail::dims_of(ds.getSpace());
            require_rank(full, dims, 1, detail::expected_shape_string({size}));
            require_float(full, ds);
            if (size >= 0 && dims[0] != static_cast<hsize_t>(size))
                throw shape_error(path_.string() + ": dataset " + full + " has shape " + detail::shape_string(dims) +
                                  ", expected " + detail::expected_shape_string({size}));
            Eigen::VectorXf v(static_cast<index_t>(dims[0]));
            if (v.size() > 0) ds.read(v.data(), H5::PredType::NATIVE_FLOAT);
            return v;
        });
    }

    /// Reads a 1-D integer (or bool) dataset as bytes, each value clipped to 0..255 by HDF5's
    /// conversion; `size` < 0 accepts any length.
    std::vector<std::uint8_t> read_uint8_vector(const std::string& name, index_t size = -1) const
    {
        const std::string full = detail::absolute_name(name);
        H5::DataSet ds = open_dataset(full);
        return detail::translate_h5_errors(path_, "reading dataset " + full, [&] {
            const auto dims = detail::dims_of(ds.getSpace());
            require_rank(full, dims, 1, detail::expected_shape_string({size}));
            const H5::DataType type = ds.getDataType();
            if (!detail::is_integer_like(type))
                throw input_error(path_.string() + ": dataset " + full + " has element type " + detail::describe_type(type) +
                                  ", expected an integer type (uint8)");
            if (size >= 0 && dims[0] != static_cast<hsize_t>(size))
                throw shape_error(path_.string() + ": dataset " + full + " has shape " + detail::shape_string(dims) +
                                  ", expected " + detail::expected_shape_string({size}));
            std::vector<std::uint8_t> out(dims[0]);
            if (out.empty()) return out;
            if (type.getClass() == H5T_INTEGER) {
                ds.read(out.data(), H5::PredType::NATIVE_UINT8);
            } else {  // an enum over an integer (h5py's bool)
                const auto values = detail::read_integer_elements(ds.getId(), false, type, out.size());
                for (std::size_t i = 0; i < out.size(); ++i)
                    out[i] = static_cast<std::uint8_t>(std::clamp<long long>(values[i], 0, 255));
            }
            return out;
        });
    }

    /// Reads a 1-D dataset of strings (variable or fixed length).
    std::vector<std::string> read_strings(const std::string& name) const
    {
        const std::string full = detail::absolute_name(name);
        H5::DataSet ds = open_dataset(full);
        return detail::translate_h5_errors(path_, "reading dataset " + full, [&] {
            const H5::DataSpace space = ds.getSpace();
            const auto dims = detail::dims_of(space);
            require_rank(full, dims, 1, "[*]");
            if (ds.getTypeClass() != H5T_STRING)
                throw input_error(path_.string() + ": dataset " + full + " has element type " +
                                  detail::describe_type(ds.getDataType()) + ", expected strings");
            return detail::read_string_elements(ds.getId(), false, ds.getStrType(), space, dims[0]);
        });
    }

    bool has_attribute(const std::string& object, const std::string& attr) const
    {
        return detail::translate_h5_errors(path_, "looking up attribute '" + attr + "'", [&] {
            if (detail::kind_of(file_, object) == detail::object_kind::missing) return false;
            return detail::with_object(file_, path_, object, [&](H5::H5Object& o) { return o.attrExists(attr); });
        });
    }

    /// A scalar (or one-element) string attribute, fixed or variable length.
    std::string read_string_attribute(const std::string& object, const std::string& attr) const
    {
        return with_attribute(object, attr, [&](const H5::Attribute& a, const std::string& label) {
            if (a.getTypeClass() != H5T_STRING)
                throw input_error(label + " has type " + detail::describe_type(a.getDataType()) + ", expected a string");
            const H5::DataSpace space = a.getSpace();
            if (space.getSimpleExtentNpoints() != 1)
                throw input_error(label + " has " + std::to_string(space.getSimpleExtentNpoints()) +
                                  " elements, expected one string");
            return detail::read_string_elements(a.getId(), true, a.getStrType(), space, 1).front();
        });
    }

    /// A scalar (or one-element) integer attribute (integer or bool type).
    long read_int_attribute(const std::string& object, const std::string& attr) const
    {
        return with_attribute(object, attr, [&](const H5::Attribute& a, const std::string& label) {
            const H5::DataType type = a.getDataType();
            if (!detail::is_integer_like(type))
                throw input_error(label + " has type " + detail::describe_type(type) + ", expected an integer");
            if (a.getSpace().getSimpleExtentNpoints() != 1)
                throw input_error(label + " has " + std::to_string(a.getSpace().getSimpleExtentNpoints()) +
                                  " elements, expected one integer");
            return static_cast<long>(detail::read_integer_elements(a.getId(), true, type, 1).front());
        });
    }

    /// A scalar (or one-element) numeric attribute (float or integer), as double.
    double read_float_attribute(const std::string& object, const std::string& attr) const
    {
        return with_attribute(object, attr, [&](const H5::Attribute& a, const std::string& label) {
            const H5T_class_t c = a.getTypeClass();
            if (c != H5T_FLOAT && c != H5T_INTEGER)
                throw input_error(label + " has type " + detail::describe_type(a.getDataType()) + ", expected a number");
            if (a.getSpace().getSimpleExtentNpoints() != 1)
                throw input_error(label + " has " + std::to_string(a.getSpace().getSimpleExtentNpoints()) +
                                  " elements, expected one number");
            double v = 0;
            a.read(H5::PredType::NATIVE_DOUBLE, &v);
            return v;
        });
    }

    /// A string attribute holding any number of strings (a scalar string gives one element).
    std::vector<std::string> read_string_array_attribute(const std::string& object, const std::string& attr) const
    {
        return with_attribute(object, attr, [&](const H5::Attribute& a, const std::string& label) {
            if (a.getTypeClass() != H5T_STRING)
                throw input_error(label + " has type " + detail::describe_type(a.getDataType()) + ", expected strings");
            const H5::DataSpace space = a.getSpace();
            return detail::read_string_elements(a.getId(), true, a.getStrType(), space,
                                                static_cast<std::size_t>(space.getSimpleExtentNpoints()));
        });
    }

private:
    std::filesystem::path path_;
    H5::H5File file_;
};

/// An HDF5 file written to `<target>.tmp-<pid>` in the target's directory and renamed over the
/// target by commit(). Destroyed without commit(), it removes the temporary file, so the target is
/// either the previous file, untouched, or the complete new one.
class atomic_output_file {
public:
    explicit atomic_output_file(std::filesystem::path target) : target_(std::move(target))
    {
        silence_hdf5_errors();
        if (target_.empty()) throw input_error("output file name is empty");
        const std::filesystem::path dir = target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path();
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec))
            throw io_error(target_.string() + ": cannot write, directory " + dir.string() + " does not exist");
        if (std::filesystem::is_directory(target_, ec))
            throw io_error(target_.string() + ": cannot write, it is a directory");
        const std::uint64_t seq = detail::next_temp_sequence();
        temp_ = target_;
        temp_ += ".tmp-" + std::to_string(::getpid()) + (seq ? "-" + std::to_string(seq) : std::string());
        detail::translate_h5_errors(target_, "creating temporary file " + temp_.string(), [&] {
            H5::FileAccPropList fapl;
            // Close every object still open when the file is closed, so commit() sees a complete file.
            fapl.setFcloseDegree(H5F_CLOSE_STRONG);
            file_ = std::make_unique<H5::H5File>(temp_.c_str(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, fapl);
        });
        open_ = true;
    }

    atomic_output_file(const atomic_output_file&) = delete;
    atomic_output_file& operator=(const atomic_output_file&) = delete;

    ~atomic_output_file()
    {
        if (committed_) return;
        try {
            if (open_) file_->close();
        } catch (...) {
            // A close that failed (e.g. a flush on a full disk) leaves HDF5's id half-closed, and
            // closing it again crashes HDF5 1.10. Leak the handle: the temporary file goes anyway.
            (void)file_.release();
        }
        std::error_code ec;
        std::filesystem::remove(temp_, ec);
    }

    const std::filesystem::path& target() const { return target_; }
    const std::filesystem::path& temp_path() const { return temp_; }
    bool committed() const { return committed_; }

    /// Gives up after an HDF5 write error (e.g. a full disk): removes the temporary file without
    /// closing the HDF5 handle. Closing a file whose flush failed crashes HDF5 1.10, so the handle
    /// is deliberately leaked; use only on that error path (the program is about to report and exit).
    void abandon() noexcept
    {
        if (committed_) return;
        (void)file_.release();
        open_ = false;
        committed_ = true;  // nothing left for the destructor to do
        std::error_code ec;
        std::filesystem::remove(temp_, ec);
    }

    /// The file being written, for what this class does not cover.
    H5::H5File& h5()
    {
        require_open();
        return *file_;
    }

    /// Closes and fsyncs the temporary file and renames it over the target.
    void commit()
    {
        require_open();
        detail::translate_h5_errors(target_, "closing " + temp_.string(), [&] {
            file_->flush(H5F_SCOPE_GLOBAL);
            file_->close();
        });
        open_ = false;
        if (!detail::fsync_path(temp_, false)) throw io_error(target_.string() + ": fsync of " + temp_.string() + " failed");
        std::error_code ec;
        std::filesystem::rename(temp_, target_, ec);
        if (ec) throw io_error(target_.string() + ": cannot rename " + temp_.string() + " over it: " + ec.message());
        committed_ = true;
        detail::fsync_path(target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path(), true);
    }

    /// Creates group `name` and any missing parents; an existing group is fine.
    void create_group(const std::string& name)
    {
        const std::string full = detail::absolute_name(name);
        require_open();
        detail::translate_h5_errors(target_, "creating group " + full, [&] {
            if (detail::kind_of(*file_, full) == detail::object_kind::group) return;
            file_->createGroup(full, intermediate_groups());
        });
    }

    /// Writes a 2-D float32 dataset [rows, cols]; parent groups are created as needed.
    void write_matrix(const std::string& name, Eigen::Ref<const row_matrix> m, const write_options& opt = {})
    {
        const hsize_t dims[2] = {static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())};
        if (m.outerStride() == m.cols() || m.rows() <= 1) {
            write_floats(name, 2, dims, m.data(), opt);
        } else {
            const row_matrix packed = m;
            write_floats(name, 2, dims, packed.data(), opt);
        }
    }

    /// Writes a 1-D float32 dataset [size].
    void write_vector(const std::string& name, Eigen::Ref<const Eigen::VectorXf> v, const write_options& opt = {})
    {
        const hsize_t dims[1] = {static_cast<hsize_t>(v.size())};
        write_floats(name, 1, dims, v.data(), opt);
    }

    /// Writes a 1-D uint8 dataset [size] (flags such as /missing).
    void write_uint8_vector(const std::string& name, const std::vector<std::uint8_t>& v, const write_options& opt = {})
    {
        const hsize_t dims[1] = {static_cast<hsize_t>(v.size())};
        write_raw(name, 1, dims, v.data(), H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, opt);
    }

    /// Writes a 1-D int64 dataset [size] (coordinates, sizes, pixel indices).
    void write_int64_vector(const std::string& name, const std::vector<long long>& v, const write_options& opt = {})
    {
        const hsize_t dims[1] = {static_cast<hsize_t>(v.size())};
        write_raw(name, 1, dims, v.data(), H5::PredType::STD_I64LE, H5::PredType::NATIVE_LLONG, opt);
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings (h5py reads it as bytes; `.asstr()` gives str).
    void write_strings(const std::string& name, const std::vector<std::string>& values)
    {
        const std::string full = detail::absolute_name(name);
        require_open();
        detail::translate_h5_errors(target_, "writing dataset " + full, [&] {
            const H5::StrType type = vlen_string_type();
            const hsize_t dims[1] = {values.size()};
            H5::DataSpace space(1, dims);
            H5::DataSet ds = file_->createDataSet(full, type, space, detail::untimed_plain(),
                                                 H5::DSetAccPropList::DEFAULT, intermediate_groups());
            std::vector<const char*> ptrs;
            ptrs.reserve(values.size());
            for (const auto& s : values) ptrs.push_back(s.c_str());
            if (!ptrs.empty()) ds.write(ptrs.data(), type);
        });
    }

    /// Scalar variable-length UTF-8 string attribute on `object` ("/" for the root); replaces an existing one.
    void write_string_attribute(const std::string& object, const std::string& attr, const std::string& value)
    {
        with_new_attribute(object, attr, [&](H5::H5Object& o) {
            const H5::StrType type = vlen_string_type();
            H5::Attribute a = o.createAttribute(attr, type, H5::DataSpace(H5S_SCALAR));
            const char* p = value.c_str();
            a.write(type, &p);
        });
    }

    /// Scalar int64 attribute on `object`; replaces an existing one.
    void write_int_attribute(const std::string& object, const std::string& attr, long value)
    {
        with_new_attribute(object, attr, [&](H5::H5Object& o) {
            H5::Attribute a = o.createAttribute(attr, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR));
            const long long v = value;
            a.write(H5::PredType::NATIVE_LLONG, &v);
        });
    }

    /// Scalar float64 attribute on `object`; replaces an existing one.
    void write_float_attribute(const std::string& object, const std::string& attr, double value)
    {
        with_new_attribute(object, attr, [&](H5::H5Object& o) {
            H5::Attribute a = o.createAttribute(attr, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
            a.write(H5::PredType::NATIVE_DOUBLE, &value);
        });
    }

    /// 1-D attribute of variable-length UTF-8 strings on `object`; replaces an existing one.
    void write_string_array_attribute(const std::string& object, const std::string& attr,
                                      const std::vector<std::string>& values)
    {
        with_new_attribute(object, attr, [&](H5::H5Object& o) {
            const H5::StrType type = vlen_string_type();
            const hsize_t dims[1] = {values.size()};
            H5::Attribute a = o.createAttribute(attr, type, H5::DataSpace(1, dims));
            std::vector<const char*> ptrs;
            for (const auto& s : values) ptrs.push_back(s.c_str());
            if (!ptrs.empty()) a.write(type, ptrs.data());
        });
    }

private:
    static H5::LinkCreatPropList intermediate_groups()
    {
        H5::LinkCreatPropList lcpl;
        lcpl.setCreateIntermediateGroup(true);
        lcpl.setCharEncoding(H5T_CSET_UTF8);
        return lcpl;
    }

    static H5::StrType vlen_string_type()
    {
        H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
        type.setCset(H5T_CSET_UTF8);
        return type;
    }

    void require_open() const
    {
        if (!open_)
            throw io_error(target_.string() + ": the output file is already " + (committed_ ? "committed" : "closed"));
    }

    void write_floats(const std::string& name, int rank, const hsize_t* dims, const float* data, const write_options& opt)
    {
        write_raw(name, rank, dims, data, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, opt);
    }

    void write_raw(const std::string& name, int rank, const hsize_t* dims, const void* data, const H5::DataType& file_type,
                   const H5::DataType& mem_type, const write_options& opt)
    {
        const std::string full = detail::absolute_name(name);
        require_open();
        detail::translate_h5_errors(target_, "writing dataset " + full, [&] {
            H5::DataSpace space(rank, dims);
            hsize_t total = 1;
            for (int i = 0; i < rank; ++i) total *= dims[i];
            H5::DSetCreatPropList dcpl;
            detail::untimed(dcpl);
            if (total > 0) {  // chunked, for the checksum (an empty dataset has no data to damage)
                hsize_t row_elems = 1;
                for (int i = 1; i < rank; ++i) row_elems *= dims[i];
                const hsize_t row_bytes = row_elems * file_type.getSize();
                hsize_t rows = opt.chunk_rows > 0 ? static_cast<hsize_t>(opt.chunk_rows)
                                                  : std::max<hsize_t>(1, (hsize_t(1) << 20) / std::max<hsize_t>(row_bytes, 1));
                rows = std::min(rows, dims[0]);
                std::vector<hsize_t> chunk(dims, dims + rank);
                chunk[0] = rows;
                dcpl.setChunk(rank, chunk.data());
                if (opt.compress) {
                    dcpl.setShuffle();
                    dcpl.setDeflate(std::clamp(opt.deflate_level, 1, 9));
                }
                detail::add_checksum(dcpl);
            }
            H5::DataSet ds = file_->createDataSet(full, file_type, space, dcpl, H5::DSetAccPropList::DEFAULT,
                                                 intermediate_groups());
            if (total > 0) ds.write(data, mem_type);
        });
    }

    template <class F>
    void with_new_attribute(const std::string& object, const std::string& attr, F&& f)
    {
        const std::string full = detail::absolute_name(object);
        require_open();
        detail::translate_h5_errors(target_, "writing attribute '" + attr + "' of " + full, [&] {
            detail::with_object(*file_, target_, full, [&](H5::H5Object& o) {
                if (o.attrExists(attr)) o.removeAttr(attr);
                f(o);
            });
        });
    }

    std::filesystem::path target_;
    std::filesystem::path temp_;
    std::unique_ptr<H5::H5File> file_;
    bool open_ = false;
    bool committed_ = false;
};

}  // namespace epilstm::io
