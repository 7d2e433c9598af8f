// What the Fletcher-32 checksum on every dataset (io/hdf5.hpp, issue 15) costs: the same datasets
// written and read with HDF5's filter pipeline as epilstm builds it, with and without the
// checksum filter. Two shapes: an embedding / checkpoint matrix (float32 [n, 110], uncompressed,
// ~1 MiB chunks) and a signal store region (float32 [25, n], chunks [25, 4096], shuffle + deflate 4).
// Usage: checksum_cost [positions (default 200000)] [repeats (default 5)]; prints MB/s per case.
#include <H5Cpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct shape {
    const char* name;
    hsize_t rows, cols, chunk_rows, chunk_cols;
    bool compress;
};

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Best-of-`repeats` write and read seconds of one dataset.
std::pair<double, double> time_case(const shape& s, bool checksum, const std::vector<float>& data, int repeats,
                                    const std::string& file)
{
    double best_w = 1e30, best_r = 1e30;
    std::vector<float> back(data.size());
    for (int k = 0; k < repeats; ++k) {
        auto t0 = std::chrono::steady_clock::now();
        {
            H5::H5File f(file, H5F_ACC_TRUNC);
            H5::DSetCreatPropList dcpl;
            const hsize_t chunk[2] = {s.chunk_rows, s.chunk_cols};
            dcpl.setChunk(2, chunk);
            if (s.compress) {
                dcpl.setShuffle();
                dcpl.setDeflate(4);
            }
            if (checksum) dcpl.setFletcher32();
            const hsize_t dims[2] = {s.rows, s.cols};
            H5::DataSet ds = f.createDataSet("/x", H5::PredType::IEEE_F32LE, H5::DataSpace(2, dims), dcpl);
            ds.write(data.data(), H5::PredType::NATIVE_FLOAT);
        }
        best_w = std::min(best_w, seconds_since(t0));
        t0 = std::chrono::steady_clock::now();
        {
            H5::H5File f(file, H5F_ACC_RDONLY);
            f.openDataSet("/x").read(back.data(), H5::PredType::NATIVE_FLOAT);
        }
        best_r = std::min(best_r, seconds_since(t0));
        if (back != data) {
            std::fprintf(stderr, "checksum_cost: read back differs\n");
            std::exit(1);
        }
    }
    return {best_w, best_r};
}

}  // namespace

int main(int argc, char** argv)
{
    const hsize_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
    const std::string file = (std::filesystem::temp_directory_path() / "epilstm_checksum_cost.h5").string();
    const shape shapes[] = {
        {"embedding [n, 110], uncompressed", n, 110, std::max<hsize_t>(1, (1u << 20) / (110 * 4)), 110, false},
        {"store region [25, n], shuffle+deflate", 25, n, 25, 4096, true},
    };
    std::printf("| dataset (n = %llu) | MB | write MB/s | + checksum | read MB/s | + checksum | write cost | read cost |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|\n",
                static_cast<unsigned long long>(n));
    for (const auto& s : shapes) {
        std::vector<float> data(s.rows * s.cols);
        // Signal-like values: smooth, non-negative, with repeats (what the store's deflate sees).
        for (std::size_t i = 0; i < data.size(); ++i)
            data[i] = std::round(10.f * std::abs(std::sin(0.001f * static_cast<float>(i)))) / 10.f;
        const double mb = static_cast<double>(data.size() * 4) / 1e6;
        const auto [w0, r0] = time_case(s, false, data, repeats, file);
        const auto [w1, r1] = time_case(s, true, data, repeats, file);
        std::printf("| %s | %.1f | %.0f | %.0f | %.0f | %.0f | %+.1f%% | %+.1f%% |\n", s.name, mb, mb / w0, mb / w1, mb / r0,
                    mb / r1, 100 * (w1 / w0 - 1), 100 * (r1 / r0 - 1));
    }
    std::filesystem::remove(file);
    return 0;
}
