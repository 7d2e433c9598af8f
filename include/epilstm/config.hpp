// Version, host/device annotation and feature macros shared by every epilstm header.
#pragma once

#define EPILSTM_VERSION_MAJOR 0
#define EPILSTM_VERSION_MINOR 1
#define EPILSTM_VERSION_PATCH 0
#define EPILSTM_VERSION_STRING "0.1.0"

// CCCL 3 does not define __host__/__device__ for g++, so policies use our own macro: one definition
// serves the Eigen path (host) and the CUDA kernels (device).
#if defined(__CUDACC__)
#define EPILSTM_HD __host__ __device__
#else
#define EPILSTM_HD
#endif

namespace epilstm {
using index_t = long;  // matches Eigen::Index on every platform we build on
}  // namespace epilstm
