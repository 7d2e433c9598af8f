// The representation written by `epilstm embed` (HDF5), written out of core and atomically.
//
// Layout:
//   root attributes  format = "epilstm-embedding", version = 1, embedding_size (int64),
//                    bin_size (int64), model (string: the checkpoint's absolute path), source
//                    (string: the store); optional (files written before them lack them):
//                    streams (int64: streams per region the embedding was computed with) and
//                    model_checksum (string: io/checksum.hpp's "fnv1a64:<hex>" of the checkpoint
//                    file's bytes), written by embedding_writer::record_model
//   /regions/names   [R] variable-length strings, in the order written
//   /regions/<name>/embedding  float32 [n, E] (row = position, chunked, Fletcher-32) with
//                    attributes chrom (string), start, end, bin_size (int64): bin i covers
//                    [start + i·bin_size, start + (i+1)·bin_size) of chrom
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/checksum.hpp>
#include <epilstm/io/hdf5.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace epilstm::io {

inline constexpr const char* embedding_format = "epilstm-embedding";

/// What an embedding file records about how it was made.
struct embedding_provenance {
    std::string model;           ///< the checkpoint's path as written ("" when absent)
    std::string model_checksum;  ///< "fnv1a64:<hex>" of the checkpoint; "" when not recorded
    std::string source;          ///< the store
    index_t streams = 0;         ///< streams per region; 0 when not recorded
};

/// Reads the provenance attributes of embedding file `path` (absent ones stay empty / 0).
inline embedding_provenance read_embedding_provenance(const std::filesystem::path& path)
{
    const input_file f(path);
    embedding_provenance p;
    if (f.has_attribute("/", "model")) p.model = f.read_string_attribute("/", "model");
    if (f.has_attribute("/", "model_checksum")) p.model_checksum = f.read_string_attribute("/", "model_checksum");
    if (f.has_attribute("/", "source")) p.source = f.read_string_attribute("/", "source");
    if (f.has_attribute("/", "streams")) {
        p.streams = f.read_int_attribute("/", "streams");
        if (p.streams < 1)
            throw input_error(path.string() + ": attribute 'streams' is " + std::to_string(p.streams) + ", expected >= 1");
    }
    return p;
}

/// Writes regions of representation rows in any order within a region; nothing is visible at the
/// target path until commit().
class embedding_writer {
public:
    /// `writers`: how many places of a region are written in turn (streams); the chunk cache keeps
    /// two chunks per writer decompressed, so memory stays bounded whatever the region's length.
    embedding_writer(std::filesystem::path path, index_t embedding_size, index_t bin_size, const std::string& model,
                     const std::string& source, index_t writers = 8)
        : out_(std::move(path)), E_(embedding_size), cache_chunks_(2 * std::max<index_t>(writers, 1) + 2)
    {
        out_.write_string_attribute("/", "format", embedding_format);
        out_.write_int_attribute("/", "version", 1);
        out_.write_int_attribute("/", "embedding_size", embedding_size);
        out_.write_int_attribute("/", "bin_size", bin_size);
        out_.write_string_attribute("/", "model", model);
        out_.write_string_attribute("/", "source", source);
        out_.create_group("/regions");
    }

    embedding_writer(const embedding_writer&) = delete;
    embedding_writer& operator=(const embedding_writer&) = delete;

    ~embedding_writer()
    {
        // After a failed write (full disk) HDF5 cannot close these objects safely: leave them.
        if (broken_) {
            new H5::DataSet(current_);  // an extra reference, never released, so no close happens
            out_.abandon();
        }
    }

    /// Records how the embedding is computed: `streams` per region and the checksum of the
    /// checkpoint file (io::file_checksum) the model was read from.
    void record_model(index_t streams, const std::string& model_checksum)
    {
        if (streams < 1) throw input_error("epilstm: embedding streams must be at least 1, not " + std::to_string(streams));
        out_.write_int_attribute("/", "streams", streams);
        out_.write_string_attribute("/", "model_checksum", model_checksum);
    }

    /// Starts region `name` of n positions; rows are then written with write_rows.
    void begin_region(const std::string& name, const std::string& chrom, std::int64_t start, std::int64_t end,
                      index_t bin_size, index_t n)
    {
        const std::string group = "/regions/" + name;
        out_.create_group(group);
        guarded("creating " + group + "/embedding", [&] {
            const hsize_t dims[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(E_)};
            H5::DataSpace space(2, dims);
            H5::DSetCreatPropList plist;
            const hsize_t chunk[2] = {static_cast<hsize_t>(std::clamp<index_t>(n, 1, 4096)), static_cast<hsize_t>(E_)};
            plist.setChunk(2, chunk);
            // No deflate: an embedding compresses only ~1.2 : 1, and HDF5 deflates on the writing
            // thread, which at D = 1,014 took a quarter of `embed`'s CPU even at level 1 (#14).
            detail::add_checksum(plist);
            detail::untimed(plist);
            // Streams write rows into several chunks in turn: keep enough decompressed chunks in
            // the cache that none is recompressed before it is full.
            H5::DSetAccPropList dapl;
            dapl.setChunkCache(521, static_cast<std::size_t>(cache_chunks_) * chunk[0] * chunk[1] * sizeof(float), 1.0);
            current_ = out_.h5().createDataSet(group + "/embedding", H5::PredType::NATIVE_FLOAT, space, plist,
                                               dapl);
        });
        out_.write_string_attribute(group, "chrom", chrom);
        out_.write_int_attribute(group, "start", start);
        out_.write_int_attribute(group, "end", end);
        out_.write_int_attribute(group, "bin_size", bin_size);
        names_.push_back(name);
        rows_ = n;
    }

    /// Rows [first, first + count) of the current region: `rows` is [E, count] column-major (one
    /// column per position), i.e. [count, E] row-major.
    void write_rows(index_t first, index_t count, const float* rows)
    {
        if (first < 0 || count < 0 || first + count > rows_)
            throw error("epilstm: embedding rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                        ") are outside the region's " + std::to_string(rows_) + " positions");
        if (count == 0) return;
        guarded("writing the embedding of " + names_.back(), [&] {
            H5::DataSpace fs = current_.getSpace();
            const hsize_t off[2] = {static_cast<hsize_t>(first), 0};
            const hsize_t cnt[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(E_)};
            fs.selectHyperslab(H5S_SELECT_SET, cnt, off);
            H5::DataSpace ms(2, cnt);
            current_.write(rows, H5::PredType::NATIVE_FLOAT, ms, fs);
        });
    }

    /// Writes the region list and renames the file into place.
    void commit()
    {
        guarded("closing the last region", [&] { current_.close(); });
        try {
            out_.write_strings("/regions/names", names_);
            out_.commit();
        } catch (...) {
            broken_ = true;
            throw;
        }
    }

private:
    template <class F>
    void guarded(const std::string& doing, F&& f)
    {
        try {
            detail::translate_h5_errors(out_.temp_path(), doing, f);
        } catch (...) {
            broken_ = true;
            throw;
        }
    }

    bool broken_ = false;
    atomic_output_file out_;
    index_t E_;
    index_t cache_chunks_;
    H5::DataSet current_;
    std::vector<std::string> names_;
    index_t rows_ = 0;
};

}  // namespace epilstm::io
