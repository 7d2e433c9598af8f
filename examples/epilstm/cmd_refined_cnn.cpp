// REFINED+CNN in the `epilstm` program (comparators.hpp): train --method refined-cnn, embed,
// reconstruct --matrix. SKELETON: being written (issue 12).
#include "comparators.hpp"

namespace epilstm::cli {

struct refined_cnn_train_cli {
    std::vector<index_t> channels{8, 16};
};

std::shared_ptr<refined_cnn_train_cli> add_refined_cnn_train_options(CLI::App* c)
{
    auto o = std::make_shared<refined_cnn_train_cli>();
    c->add_option("--cnn-channels", o->channels, "refined-cnn: channels C1,C2 of the two encoder convolutions")
        ->delimiter(',')
        ->expected(2);
    return o;
}

int run_refined_cnn_train(const train_request&, const refined_cnn_train_cli&)
{
    throw input_error("train --method refined-cnn: not built yet");
}

embed_result run_refined_cnn_embed(const embed_request&, const io::signal_store&)
{
    throw input_error("embed: refined-cnn checkpoints: not built yet");
}

int run_refined_cnn_reconstruct(const fs::path&, const fs::path&, const fs::path&)
{
    throw input_error("reconstruct: refined-cnn checkpoints: not built yet");
}

}  // namespace epilstm::cli
