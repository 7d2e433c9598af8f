// What a device is to epilstm. A device tag type offers one set of operations, and the model
// (model/autoencoder.hpp), the device-generic LSTM layer (sequence/lstm_layer.hpp), the optimizer
// and the trainer are written once against it:
//
//   name, host_memory          a name for messages; whether its memory is the host's
//   vector<U>                  the owning array of parameters, gradients and workspaces (resize,
//                              data, size)
//   allocate, deallocate       raw memory, for buffer<T, Device> (backend/buffer.hpp)
//   for_each(n, f)             f(i) for i in 0..n-1 (the kernels of backend/kernels.hpp)
//   sum(x, n), sum_squares     reductions that return a value to the host
//   fill, copy, upload, download, synchronize
//   gemm(ta, tb, m, n, k, α, A, lda, B, ldb, β, C, ldc)    column-major, cuBLAS's argument order
//   lstm_layer<Spec, U>        optional: the device's own frame unroll (else sequence/lstm_layer.hpp)
//
// Devices: cpu_device (backend/cpu/cpu_device.hpp: Eigen, OpenMP; the default everywhere),
// cuda::cuda_device (backend/cuda/cuda_device.cuh: thrust + cuBLAS, nvcc) and cuda::host_emulation
// (backend/cuda/host_emulation.hpp: the GPU's code path on the host, for CI). A new backend is one
// more such type. This header declares the default device without defining it, so that headers
// nvcc compiles never see Eigen; host code includes backend/cpu/cpu_device.hpp (or epilstm.hpp).
#pragma once

#include <type_traits>

namespace epilstm {

struct cpu_device;

/// A device whose instances are interchangeable (cpu_device, host_emulation): models and optimizers
/// on it may be built without naming an instance.
template <class Device>
inline constexpr bool is_stateless_device = std::is_empty_v<Device> && std::is_default_constructible_v<Device>;

/// The process-wide instance of a stateless device.
template <class Device>
    requires is_stateless_device<Device>
Device& shared_device()
{
    static Device d;
    return d;
}

}  // namespace epilstm
