// `epilstm prepare` when the program was built without libBigWig (Debian: libbigwig-dev): the
// command exists, so that `--help` stays the same, and says how to get it.
#include "prepare.hpp"

#include <epilstm/error.hpp>

CLI::App* add_prepare_command(CLI::App& app)
{
    auto* c = app.add_subcommand("prepare", "read bigWig tracks into an HDF5 signal store (unavailable: built without "
                                            "libBigWig)");
    c->allow_extras();
    return c;
}

int run_prepare_command()
{
    throw epilstm::input_error("prepare: this epilstm was built without libBigWig; install libbigwig-dev "
                               "(scripts/install-deps.sh) and rebuild");
}
