// `epilstm prepare`: bigWigs -> HDF5 signal store (docs/store-format.md). Declared here so that
// main.cpp needs two lines: `auto* prep = add_prepare_command(app);` and
// `if (*prep) return run_prepare_command();`. Defined in prepare.cpp (with libBigWig) or in
// prepare_unavailable.cpp (without, where the command only reports that).
#pragma once

#include <CLI/CLI.hpp>

/// Registers the `prepare` subcommand and its options on `app`; returns it.
CLI::App* add_prepare_command(CLI::App& app);

/// Runs `prepare` with the options parsed into the subcommand; returns the exit status. Throws
/// epilstm::error for every user error (main prints it as one `epilstm: error:` line, exit 2).
int run_prepare_command();
