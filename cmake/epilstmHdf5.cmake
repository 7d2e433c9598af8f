# epilstm_link_hdf5(<interface-target>): make <interface-target> carry the HDF5 C and C++ libraries.
# Used by the build (epilstm::hdf5) and by the installed epilstmConfig.cmake (in the consumer), after
# find_package(HDF5 COMPONENTS CXX) succeeded. On Debian 12 / CMake 3.25, FindHDF5 gives HDF5::HDF5
# (libhdf5_cpp + libhdf5, include dir /usr/include/hdf5/serial); hdf5::hdf5_cpp exists but carries no
# link dependencies; HDF5's own hdf5-config.cmake (other distributions) gives hdf5::hdf5_cpp-shared.
include_guard(GLOBAL)

function(epilstm_link_hdf5 tgt)
    # The signal store runs HDF5's chunk filters itself (io/chunk_codec.hpp: zlib) on std::threads.
    # Debian's libhdf5-dev depends on zlib1g-dev, so zlib is there wherever HDF5 is.
    find_package(ZLIB REQUIRED)
    find_package(Threads REQUIRED)
    target_link_libraries(${tgt} INTERFACE ZLIB::ZLIB Threads::Threads)
    if(TARGET HDF5::HDF5)
        target_link_libraries(${tgt} INTERFACE HDF5::HDF5)
    elseif(TARGET hdf5::hdf5_cpp-shared)
        target_link_libraries(${tgt} INTERFACE hdf5::hdf5_cpp-shared hdf5::hdf5-shared)
    elseif(TARGET hdf5::hdf5_cpp-static)
        target_link_libraries(${tgt} INTERFACE hdf5::hdf5_cpp-static hdf5::hdf5-static)
    else()
        target_include_directories(${tgt} SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS} ${HDF5_CXX_INCLUDE_DIRS})
        target_link_libraries(${tgt} INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_LIBRARIES})
    endif()
endfunction()
