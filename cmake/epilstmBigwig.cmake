# epilstm::bigwig: the one compiled piece of epilstm, the libBigWig reader (src/bigwig/bigwig.cpp).
#
# Why compiled: <bigWig.h> puts unscoped enumerators (mean, max, min, sum, ...) into the global
# namespace, so it must not reach any header; its declarations live in include/epilstm/io/bigwig.hpp
# and its definitions in one .cpp. The target is built only for our own program and tests (it is
# not installed: the installed package stays header-only). Optional: without libBigWig the target
# does not exist and `epilstm prepare` reports that it was built without bigWig support.
#
# libBigWig (Debian libbigwig-dev) ships no CMake config and no .pc file. Its header includes
# <curl/curl.h> unless NOCURL is defined; the -dev package does not depend on a curl -dev package,
# so the source is compiled with NOCURL (local files only). libBigWig.so itself links libcurl.
include_guard(GLOBAL)

find_path(BIGWIG_INCLUDE_DIR bigWig.h)
find_library(BIGWIG_LIBRARY BigWig)
mark_as_advanced(BIGWIG_INCLUDE_DIR BIGWIG_LIBRARY)

if(BIGWIG_INCLUDE_DIR AND BIGWIG_LIBRARY AND TARGET epilstm::hdf5)
    add_library(epilstm_bigwig STATIC "${PROJECT_SOURCE_DIR}/src/bigwig/bigwig.cpp"
        "${PROJECT_SOURCE_DIR}/src/bigwig/bigwig_writer.cpp")
    add_library(epilstm::bigwig ALIAS epilstm_bigwig)
    target_include_directories(epilstm_bigwig SYSTEM PRIVATE "${BIGWIG_INCLUDE_DIR}")
    target_compile_definitions(epilstm_bigwig PRIVATE NOCURL)
    target_link_libraries(epilstm_bigwig PUBLIC epilstm::hdf5 "${BIGWIG_LIBRARY}")
    if(TARGET epilstm_warnings)
        target_link_libraries(epilstm_bigwig PRIVATE epilstm_warnings)
    endif()
    message(STATUS "epilstm: libBigWig found (${BIGWIG_LIBRARY}); epilstm::bigwig and `epilstm prepare` available")
else()
    message(STATUS "epilstm: libBigWig not found (Debian: libbigwig-dev); `epilstm prepare` is not available")
endif()
