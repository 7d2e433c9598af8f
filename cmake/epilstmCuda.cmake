# Optional device backend (include/epilstm/backend/cuda; docs/gpu.md). Included by the top-level
# CMakeLists.txt after the epilstm target exists. Nothing here is required: without nvcc and without
# the CUDA toolkit's CCCL headers the project configures, builds and tests as before.
#
#   EPILSTM_CUDA (ON)            look for nvcc (check_language, then /usr/local/cuda/bin/nvcc); when
#                                found, enable CUDA (CMAKE_CUDA_ARCHITECTURES defaults to 90, H100/H200)
#                                and create epilstm::cuda: epilstm + CUDA::cudart + CUDA::cublas for
#                                users' .cu files. Not exported: a consumer links CUDA::cudart and
#                                CUDA::cublas itself (docs/gpu.md).
#   EPILSTM_CUDA_EMULATION (ON)  epilstm_cuda_emulation: the same device headers compiled by g++ on
#                                thrust's C++ system (CCCL from the CUDA toolkit, never Debian's
#                                libthrust); our tests only. Needs the headers, not nvcc or a GPU.
# Sets EPILSTM_HAVE_CUDA (ON/OFF).
option(EPILSTM_CUDA "Build the CUDA backend's programs and tests when nvcc is found" ON)
option(EPILSTM_CUDA_EMULATION "Build the host-emulated device backend's tests when CCCL headers are found" ON)
set(EPILSTM_HAVE_CUDA OFF)

if(EPILSTM_CUDA)
    include(CheckLanguage)
    check_language(CUDA)
    if(NOT CMAKE_CUDA_COMPILER AND EXISTS "/usr/local/cuda/bin/nvcc")
        # PATH without /usr/local/cuda/bin: check_language finds nothing, the toolkit is still there.
        # check_language leaves a NOTFOUND normal variable that shadows the cache entry (CMP0126).
        set(CMAKE_CUDA_COMPILER "/usr/local/cuda/bin/nvcc" CACHE FILEPATH "CUDA compiler" FORCE)
        set(CMAKE_CUDA_COMPILER "/usr/local/cuda/bin/nvcc")
    endif()
    if(CMAKE_CUDA_COMPILER)
        if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
            # `native` fails without a GPU, so the build machines (no GPU) need a fixed default.
            set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures (90: H100/H200)")
        endif()
        if(NOT DEFINED CMAKE_CUDA_HOST_COMPILER AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
            set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}" CACHE FILEPATH "Host compiler of nvcc")
        endif()
        enable_language(CUDA)
        find_package(CUDAToolkit)
    endif()
    if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND)
        add_library(epilstm_cuda INTERFACE)
        add_library(epilstm::cuda ALIAS epilstm_cuda)
        target_link_libraries(epilstm_cuda INTERFACE epilstm CUDA::cudart CUDA::cublas)
        # CMake 3.25 does not know cuda_std_20 for nvcc 13, so the flag is given directly.
        target_compile_options(epilstm_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20>)
        set(EPILSTM_HAVE_CUDA ON)
        message(STATUS "epilstm: CUDA ${CUDAToolkit_VERSION} (${CMAKE_CUDA_COMPILER}, architectures "
                       "${CMAKE_CUDA_ARCHITECTURES}); epilstm::cuda available")
        if(EPILSTM_BUILD_TESTS OR EPILSTM_BUILD_EXAMPLES OR EPILSTM_BUILD_BENCH)
            # Warnings of our own .cu files (epilstm_warnings' flags are g++ flags, not nvcc's).
            add_library(epilstm_cuda_warnings INTERFACE)
            target_compile_options(epilstm_cuda_warnings INTERFACE
                $<$<COMPILE_LANGUAGE:CUDA>:--Werror=all-warnings -Xcompiler=-Wall,-Wextra,-Werror>)
        endif()
    else()
        message(STATUS "epilstm: nvcc not found; the CUDA backend's programs and tests are not built")
    endif()
endif()

if(EPILSTM_CUDA_EMULATION AND (EPILSTM_BUILD_TESTS OR EPILSTM_BUILD_BENCH))
    # Only the toolkit's CCCL (thrust 2+/3), found by path so that Debian's Thrust 1.17 in
    # /usr/include is never picked up by accident (docs/DEPENDENCIES.md).
    set(_cccl_hints "/usr/local/cuda/include/cccl")
    if(CUDAToolkit_INCLUDE_DIRS)
        list(TRANSFORM CUDAToolkit_INCLUDE_DIRS APPEND "/cccl" OUTPUT_VARIABLE _cccl_from_toolkit)
        list(PREPEND _cccl_hints ${_cccl_from_toolkit})
    endif()
    find_path(EPILSTM_CCCL_INCLUDE_DIR thrust/system/cpp/execution_policy.h cub/version.cuh
        PATHS ${_cccl_hints} NO_DEFAULT_PATH)
    if(EPILSTM_CCCL_INCLUDE_DIR)
        add_library(epilstm_cuda_emulation INTERFACE)
        target_link_libraries(epilstm_cuda_emulation INTERFACE epilstm)
        target_include_directories(epilstm_cuda_emulation SYSTEM INTERFACE "${EPILSTM_CCCL_INCLUDE_DIR}")
        target_compile_definitions(epilstm_cuda_emulation INTERFACE THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CPP)
        message(STATUS "epilstm: CCCL headers in ${EPILSTM_CCCL_INCLUDE_DIR}; host-emulated device tests built")
    else()
        message(STATUS "epilstm: CCCL headers not found; no host-emulated device tests")
    endif()
endif()
