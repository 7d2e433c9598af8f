// The REFINED part of a REFINED+CNN checkpoint (docs/COMPARATORS-SPEC.md, "REFINED+CNN").
//
// File layout (this header writes and reads only these; the CNN's parameters go under groups of
// their own, written by the CNN's writer on the same atomic_output_file after write_refined_part):
//   root attributes   format = "refined-cnn-checkpoint", version = 1, grid_size = g (int64)
//   /tracks/id        1-D dataset of variable-length UTF-8 strings [T], the store's track order
//   /refined/pixel    int64 [T]: the row-major pixel (row·g + column, 0..g²−1) of each track, all
//                     distinct; g ≥ ⌈√T⌉
//   /refined          attribute cost (float64): the REFINED cost of the placement (informational;
//                     the reader recomputes nothing)
//
// Files are written atomically (io::atomic_output_file). The reader names the file and the
// dataset or attribute in every error.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/io/hdf5.hpp>
#include <epilstm/model/refined.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace epilstm::io {

inline constexpr std::string_view refined_checkpoint_format = "refined-cnn-checkpoint";
inline constexpr long refined_checkpoint_version = 1;
inline constexpr const char* refined_tracks_dataset = "/tracks/id";
inline constexpr const char* refined_pixel_dataset = "/refined/pixel";

/// What the REFINED part of a checkpoint holds.
struct refined_checkpoint_part {
    std::vector<std::string> tracks;  ///< [T] track ids
    refined_placement placement;      ///< grid_size and /refined/pixel; cost from /refined's attribute (0 if absent)
};

namespace detail {

inline void check_refined_tracks(const std::vector<std::string>& tracks, const std::string& where)
{
    std::set<std::string> seen;
    for (std::size_t t = 0; t < tracks.size(); ++t) {
        if (tracks[t].empty()) throw input_error(where + ": track " + std::to_string(t) + " has an empty id");
        if (!seen.insert(tracks[t]).second) throw input_error(where + ": track id '" + tracks[t] + "' appears twice");
    }
}

}  // namespace detail

/// Writes the root attributes, /tracks/id and /refined of a REFINED+CNN checkpoint into `out`
/// (not committed: the caller adds the CNN and commits). Throws input_error for a placement that
/// is not valid for these tracks.
inline void write_refined_part(atomic_output_file& out, const std::vector<std::string>& tracks, const refined_placement& p)
{
    const std::string where = out.target().string() + ": cannot write REFINED checkpoint";
    validate_placement(p, static_cast<index_t>(tracks.size()), where);
    detail::check_refined_tracks(tracks, where);
    out.write_string_attribute("/", "format", std::string(refined_checkpoint_format));
    out.write_int_attribute("/", "version", refined_checkpoint_version);
    out.write_int_attribute("/", "grid_size", p.grid);
    out.write_strings(refined_tracks_dataset, tracks);
    out.create_group("/refined");
    out.write_int64_vector(refined_pixel_dataset, std::vector<long long>(p.pixel.begin(), p.pixel.end()));
    out.write_float_attribute("/refined", "cost", p.cost);
}

/// Reads and validates the REFINED part of a REFINED+CNN checkpoint.
inline refined_checkpoint_part read_refined_part(const input_file& f)
{
    const std::string file = f.path().string();
    if (!f.has_attribute("/", "format"))
        throw input_error(file + " is not a REFINED+CNN checkpoint (attribute 'format' missing)");
    const std::string format = f.read_string_attribute("/", "format");
    if (format != refined_checkpoint_format)
        throw input_error(file + " is not a REFINED+CNN checkpoint (attribute 'format' is '" + format + "', expected '" +
                          std::string(refined_checkpoint_format) + "')");
    for (const char* a : {"version", "grid_size"})
        if (!f.has_attribute("/", a)) throw input_error(file + ": REFINED+CNN checkpoint attribute '" + std::string(a) + "' missing");
    const long version = f.read_int_attribute("/", "version");
    if (version != refined_checkpoint_version)
        throw input_error(file + ": REFINED+CNN checkpoint version " + std::to_string(version) +
                          " is not supported (this build reads version " + std::to_string(refined_checkpoint_version) + ")");
    refined_checkpoint_part part;
    part.placement.grid = f.read_int_attribute("/", "grid_size");
    if (part.placement.grid < 1 || part.placement.grid > refined_max_grid)
        throw input_error(file + ": attribute 'grid_size' is " + std::to_string(part.placement.grid) + ", expected 1.." +
                          std::to_string(refined_max_grid));

    if (!f.has_dataset(refined_tracks_dataset))
        throw input_error(file + ": dataset " + std::string(refined_tracks_dataset) + " is missing (strings [T], the track ids)");
    part.tracks = f.read_strings(refined_tracks_dataset);
    detail::check_refined_tracks(part.tracks, file + ": dataset " + refined_tracks_dataset);
    const index_t T = static_cast<index_t>(part.tracks.size());

    const std::string pix = refined_pixel_dataset;
    if (!f.has_dataset(pix)) throw input_error(file + ": dataset " + pix + " is missing (int64 [" + std::to_string(T) + "])");
    const H5::DataSet ds = f.open_dataset(pix);
    std::vector<long long> values = detail::translate_h5_errors(f.path(), "reading dataset " + pix, [&] {
        const auto dims = detail::dims_of(ds.getSpace());
        if (dims.size() != 1)
            throw input_error(file + ": dataset " + pix + " has shape " + detail::shape_string(dims) + ", expected [" +
                              std::to_string(T) + "]");
        if (ds.getTypeClass() != H5T_INTEGER)
            throw input_error(file + ": dataset " + pix + " has element type " + detail::describe_type(ds.getDataType()) +
                              ", expected an integer type (int64)");
        if (dims[0] != static_cast<hsize_t>(T))
            throw input_error(file + ": dataset " + pix + " has " + std::to_string(dims[0]) + " pixels but " +
                              std::string(refined_tracks_dataset) + " has " + std::to_string(T) + " tracks");
        std::vector<long long> v(dims[0]);
        if (!v.empty()) ds.read(v.data(), H5::PredType::NATIVE_LLONG);
        return v;
    });
    part.placement.pixel.assign(values.begin(), values.end());
    validate_placement(part.placement, T, file + ": dataset " + pix + " (grid_size " + std::to_string(part.placement.grid) + ")");
    if (f.has_attribute("/refined", "cost")) part.placement.cost = f.read_float_attribute("/refined", "cost");
    return part;
}

/// Writes a checkpoint holding only the REFINED part (no CNN yet), atomically.
inline void write_refined_checkpoint(const std::filesystem::path& path, const std::vector<std::string>& tracks,
                                     const refined_placement& p)
{
    atomic_output_file out(path);
    write_refined_part(out, tracks, p);
    out.commit();
}

/// Reads the REFINED part of checkpoint `path`.
inline refined_checkpoint_part read_refined_checkpoint(const std::filesystem::path& path)
{
    const input_file f(path);
    return read_refined_part(f);
}

}  // namespace epilstm::io
