// The `epilstm` command-line program. Each subcommand lives in its own file (cmd_*.cpp) and is
// registered here.
//
// Every error a user can cause prints one line "epilstm: error: <file>: <what was expected>" and
// exits with status 2, leaving no partial output (outputs are written to a temporary file and
// renamed into place).
#include "common.hpp"
#include "comparators.hpp"
#include "prepare.hpp"

#include <cstdio>
#include <cstdlib>

namespace {
/// Reports an error and ends the process at once: after a failed HDF5 write (a full disk) the
/// library's own exit handlers could crash closing the abandoned file (io::atomic_output_file::abandon).
[[noreturn]] void fail(int status, const char* kind, const char* what)
{
    std::fprintf(stderr, "epilstm: %s: %s\n", kind, what);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
}

/// fail() for one process; in an MPI job (process_group.hpp) every rank learns the failure at its
/// next agreement point and rank 0 alone reports it, naming the rank that failed.
/// (`agreed`: the failure came from an agreement, so every rank knows it already.)
[[noreturn]] void fail_job(int status, const char* kind, const char* what, bool agreed = false)
{
    using namespace epilstm;
    std::string message = what;
    if (auto* g = cli::process_group()) {
        if (!agreed) {  // tell the others
            try {
                agree(*g, message);
            } catch (const rank_failure& e) {
                message = e.what();
            }
        }
        const int rank = g->rank();
        cli::end_process_group();  // (g is gone after this)
        if (rank != 0) {
            std::fflush(stdout);
            std::_Exit(status);
        }
    }
    fail(status, kind, message.c_str());
}
}  // namespace

int main(int argc, char** argv)
{
    using namespace epilstm::cli;
    start_process_group(argc, argv);
    CLI::App app{"epilstm " EPILSTM_VERSION_STRING
                 " — Epi-LSTM: an LSTM autoencoder representation of the epigenome (docs/MODEL-SPEC.md)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", EPILSTM_VERSION_STRING);
    std::vector<command> commands;
    commands.push_back({add_prepare_command(app), run_prepare_command});
    commands.push_back(add_init_command(app));
    commands.push_back(add_train_command(app));
    commands.push_back(add_reconstruct_command(app));
    commands.push_back(add_embed_command(app));
    commands.push_back(add_impute_command(app));
#ifdef EPILSTM_HAVE_XGBOOST
    commands.push_back(add_evaluate_command(app));
#endif

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Every rank of a job parses the same command line: rank 0 reports.
        if (process_rank() == 0)
            std::fprintf(stderr, "epilstm: error: %s\n", epilstm::cli_checks::parse_error_message(e).c_str());
        end_process_group();
        return 2;
    }

    try {
        for (const auto& c : commands)
            if (*c.app) {
                // train and embed split their work over an MPI job's ranks; the rest run as one process.
                if (c.app->get_name() != "train" && c.app->get_name() != "embed")
                    require_single_process(c.app->get_name().c_str());
                const int rc = c.run();
                end_process_group();
                return rc;
            }
    } catch (const epilstm::rank_failure& e) {
        fail_job(2, "error", e.what(), true);
    } catch (const epilstm::error& e) {
        fail_job(2, "error", e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        fail_job(2, "error", e.what());
    } catch (const std::exception& e) {
        fail_job(3, "internal error", e.what());
    }
    end_process_group();
    return 0;
}
