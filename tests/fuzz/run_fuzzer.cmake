# ctest fuzz.<name>: copies the seed corpus to a scratch directory and fuzzes for SECONDS; any crash,
# sanitizer report or broken promise fails the test (libFuzzer exits non-zero and writes the input
# to WORK/crash-*).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
file(GLOB seeds "${SEEDS}/*")
if(NOT seeds)
    message(FATAL_ERROR "no seed inputs in ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION "${WORK}/corpus")
execute_process(
    COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -max_len=4096
            -artifact_prefix=${WORK}/ -print_final_stats=1 "${WORK}/corpus"
    WORKING_DIRECTORY "${WORK}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    file(GLOB crashes "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*" "${WORK}/oom-*")
    message(FATAL_ERROR "${FUZZER}: exit ${rc}; inputs kept: ${crashes}")
endif()
