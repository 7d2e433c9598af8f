// The shared device body on the host-emulated device (g++, thrust::cpp): runs in CI.
#include <epilstm/backend/cuda/host_emulation.hpp>

#define EPILSTM_PARITY_DEVICE ::epilstm::cuda::host_emulation
#include "device_body.inl"

namespace epilstm::parity {
bool device_available() { return true; }
std::string device_name() { return "host-emulated device (thrust::cpp)"; }
}  // namespace epilstm::parity
