// The `epilstm` command-line program. Each subcommand lives in its own file (cmd_*.cpp) and is
// registered here.
//
// Every error a user can cause prints one line "epilstm: error: <file>: <what was expected>" and
// exits with status 2, leaving no partial output (outputs are written to a temporary file and
// renamed into place).
#include "common.hpp"
#include "prepare.hpp"

#include <cstdio>

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

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "epilstm: error: %s (see --help)\n", e.what());
        return 2;
    }

    try {
        for (const auto& c : commands)
            if (*c.app) return c.run();
    } catch (const epilstm::error& e) {
        std::fprintf(stderr, "epilstm: error: %s\n", e.what());
        return 2;
    } catch (const std::filesystem::filesystem_error& e) {
        std::fprintf(stderr, "epilstm: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "epilstm: internal error: %s\n", e.what());
        return 3;
    }
    return 0;
}
