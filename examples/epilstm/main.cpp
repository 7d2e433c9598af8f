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
[[noreturn]] int fail(int status, const char* kind, const char* what)
{
    std::fprintf(stderr, "epilstm: %s: %s\n", kind, what);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
}
}  // namespace

int main(int argc, char** argv)
{
    using namespace epilstm::cli;
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
        std::fprintf(stderr, "epilstm: error: %s\n", epilstm::cli_checks::parse_error_message(e).c_str());
        return 2;
    }

    try {
        for (const auto& c : commands)
            if (*c.app) return c.run();
    } catch (const epilstm::error& e) {
        return fail(2, "error", e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        return fail(2, "error", e.what());
    } catch (const std::exception& e) {
        return fail(3, "internal error", e.what());
    }
    return 0;
}
