// Test support: damages the bytes of one stored dataset on disk, as a failing disk or a bad copy
// would, to check that readers refuse the file (io/hdf5.hpp: every dataset carries a Fletcher-32
// checksum per chunk).
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace epilstm::testing {

/// Flips one byte `at` bytes into the first stored chunk of dataset `name` of HDF5 file `path`
/// (the chunk's middle byte when the chunk is shorter).
inline void damage_dataset(const std::filesystem::path& path, const std::string& name, std::uint64_t at = 3)
{
    haddr_t addr = 0;
    hsize_t size = 0;
    {
        const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) throw std::runtime_error("damage_dataset: cannot open " + path.string());
        const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
        const hid_t space = d < 0 ? -1 : H5Dget_space(d);
        hsize_t offset[8] = {};
        unsigned mask = 0;
        const herr_t st = space < 0 ? -1 : H5Dget_chunk_info(d, space, 0, offset, &mask, &addr, &size);
        if (space >= 0) H5Sclose(space);
        if (d >= 0) H5Dclose(d);
        H5Fclose(f);
        if (st >= 0 && size > 0 && at >= size) at = size / 2;
        if (st < 0 || size == 0) throw std::runtime_error("damage_dataset: " + name + " in " + path.string() + " has no chunk to damage");
    }
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(addr + at));
    char c = 0;
    io.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    io.seekp(static_cast<std::streamoff>(addr + at));
    io.write(&c, 1);
    if (!io) throw std::runtime_error("damage_dataset: cannot rewrite " + path.string());
}

}  // namespace epilstm::testing
