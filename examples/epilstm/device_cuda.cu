// The CUDA part of the `epilstm` program: the library's session (one trainer, one inference path)
// instantiated on cuda_device for every run-time variant.
#include "device_session.hpp"

#include <cuda_runtime.h>

#include <cstdlib>
#include <string>

#include <epilstm/cuda.cuh>

namespace epilstm::cli {

bool cuda_compiled() { return true; }
int cuda_device_count() { return cuda::device_count(); }

std::unique_ptr<model_session> make_cuda_session(const model_config& cfg, const float* params)
{
    if (cuda::device_count() == 0)
        throw cuda::cuda_error("--device cuda: no usable CUDA GPU on this machine (no device or no driver)");
    // One GPU per rank of an MPI job (docs/distributed.md): the rank's index on its node picks it.
    for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMIX_LOCAL_RANK"})
        if (const char* local = std::getenv(v)) {
            const int gpu = std::atoi(local) % cuda::device_count();
            if (cudaSetDevice(gpu) != cudaSuccess)
                throw cuda::cuda_error("--device cuda: cannot select GPU " + std::to_string(gpu) + " for this rank");
            break;
        }
    return make_session<cuda::cuda_device>(cfg, params);
}

}  // namespace epilstm::cli
