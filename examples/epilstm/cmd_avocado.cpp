// Avocado in the `epilstm` program (comparators.hpp): train --method avocado, embed, reconstruct
// --region, impute. SKELETON: being written (issue 12).
#include "comparators.hpp"

namespace epilstm::cli {

struct avocado_train_cli {
    index_t layers = 2, units = 2048;
    std::vector<index_t> factors{32, 256, 25, 40, 45};
};
struct avocado_embed_cli {
    index_t fit_epochs = 5;
};

std::shared_ptr<avocado_train_cli> add_avocado_train_options(CLI::App* c)
{
    auto o = std::make_shared<avocado_train_cli>();
    c->add_option("--avocado-layers", o->layers, "avocado: hidden layers L of the dense network")->capture_default_str();
    c->add_option("--avocado-units", o->units, "avocado: units N of each hidden layer")->capture_default_str();
    c->add_option("--avocado-factors", o->factors, "avocado: factor widths Fc,Fa,F25,F250,F5k")
        ->delimiter(',')
        ->expected(5);
    return o;
}

std::shared_ptr<avocado_embed_cli> add_avocado_embed_options(CLI::App* c)
{
    auto o = std::make_shared<avocado_embed_cli>();
    c->add_option("--fit-epochs", o->fit_epochs,
                  "avocado: epochs of fitting the genome factors of a region the checkpoint does not hold")
        ->capture_default_str();
    return o;
}

int run_avocado_train(const train_request&, const avocado_train_cli&)
{
    throw input_error("train --method avocado: not built yet");
}

embed_result run_avocado_embed(const embed_request&, const avocado_embed_cli&, const io::signal_store&)
{
    throw input_error("embed: avocado checkpoints: not built yet");
}

int run_avocado_reconstruct(const fs::path&, const std::string&, const fs::path&)
{
    throw input_error("reconstruct: avocado checkpoints: not built yet");
}

command add_impute_command(CLI::App& app)
{
    auto* c = app.add_subcommand("impute", "avocado: predict a track (cell type, assay) as a bigWig");
    return {c, [] () -> int { throw input_error("impute: not built yet"); }};
}

}  // namespace epilstm::cli
