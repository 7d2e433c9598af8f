# ctest external_project.find_package: install the current build tree into a fresh prefix, then
# configure, build and run tests/external_project against it. Any failing step fails the test.
# Inputs (-D): EPILSTM_BINARY_DIR, EXTERNAL_SOURCE_DIR, WORK_DIR, CXX_COMPILER, CONFIG (may be empty).
foreach(v EPILSTM_BINARY_DIR EXTERNAL_SOURCE_DIR WORK_DIR CXX_COMPILER)
    if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
        message(FATAL_ERROR "run.cmake: ${v} is not set")
    endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${prefix}" "${build}")

set(config_args)
if(CONFIG)
    set(config_args --config "${CONFIG}")
endif()

function(step what)
    message(STATUS "external_project: ${what}: ${ARGN}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "external_project: ${what} FAILED (exit ${rc})")
    endif()
endfunction()

step(install ${CMAKE_COMMAND} --install "${EPILSTM_BINARY_DIR}" --prefix "${prefix}" ${config_args})
step(configure ${CMAKE_COMMAND} -S "${EXTERNAL_SOURCE_DIR}" -B "${build}"
    "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DEPILSTM_EXPECTED_PREFIX=${prefix}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
step(build ${CMAKE_COMMAND} --build "${build}" ${config_args})
if(EXISTS "${build}/external_main")
    set(exe "${build}/external_main")
else()
    file(GLOB_RECURSE exe "${build}/external_main")
endif()
if(NOT exe)
    message(FATAL_ERROR "external_project: built executable external_main not found under ${build}")
endif()
step(run ${exe})
if(EXISTS "${build}/external_hdf5")
    step(run-hdf5 "${build}/external_hdf5")
endif()
message(STATUS "external_project: all steps passed")
