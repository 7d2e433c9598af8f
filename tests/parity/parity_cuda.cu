// The shared device body on a CUDA GPU (nvcc, cuBLAS). Without a GPU the test exits with the skip
// code before running anything (test_parity.cpp's main).
#include <epilstm/backend/cuda/cuda_device.cuh>

#define EPILSTM_PARITY_DEVICE ::epilstm::cuda::cuda_device
#include "device_body.inl"

namespace epilstm::parity {
bool device_available() { return cuda::device_count() > 0; }
std::string device_name()
{
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return "CUDA device";
    return std::string("CUDA device 0: ") + p.name;
}
}  // namespace epilstm::parity
