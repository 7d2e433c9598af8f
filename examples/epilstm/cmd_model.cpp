// epilstm init, epilstm reconstruct.
#include "common.hpp"
#include "comparators.hpp"
#include "device.hpp"

#include <iostream>

namespace epilstm::cli {

command add_init_command(CLI::App& app)
{
    struct options {
        model_options model;
        std::string matrix;
        fs::path out;
    };
    auto o = std::make_shared<options>();
    auto* c = app.add_subcommand("init", "write a randomly initialized model checkpoint");
    c->add_option("--tracks,-D", o->model.tracks, "input size D (number of tracks); or take it from --matrix");
    c->add_option("--matrix", o->matrix, "HDF5 file whose /signal [N, D] sets D and the track names")
        ->check(CLI::ExistingFile);
    c->add_option("--out,-o", o->out, "checkpoint to write (HDF5)")->required();
    add_model_options(c, o->model);
    return {c, [o] {
                index_t tracks = o->model.tracks;
                std::vector<std::string> names;
                if (!o->matrix.empty()) {
                    const auto s = load_signal(o->matrix);
                    if (tracks > 0 && tracks != s.x.cols())
                        throw input_error(o->matrix + ": /signal has " + std::to_string(s.x.cols()) +
                                          " tracks but --tracks is " + std::to_string(tracks));
                    tracks = s.x.cols();
                    names = s.tracks;
                }
                if (tracks <= 0)
                    throw input_error("command line: give --tracks D or --matrix X.h5 to set the input size");
                const model_config cfg = config_from(o->model, tracks);
                with_model_type(cfg, [&](auto type) {
                    using M = typename decltype(type)::type;
                    M model(cfg);
                    model.initialize(o->model.seed);
                    io::write_checkpoint(o->out, cfg, model.layout(), model.parameters(), nullptr,
                                         names.empty() ? nullptr : &names);
                    std::cout << "wrote " << o->out.string() << " (" << model.parameters().size() << " parameters, "
                              << cfg.activation << ", " << cfg.normalization << ", " << cfg.wiring << " wiring"
                              << (cfg.bidirectional ? ", bidirectional" : "") << ", H=" << cfg.hidden_size
                              << ", D=" << tracks << ")\n";
                });
                return 0;
            }};
}

command add_reconstruct_command(CLI::App& app)
{
    struct options {
        fs::path model, matrix, out;
        std::string region;
        std::string device = "cpu";
    };
    auto o = std::make_shared<options>();
    auto* c = app.add_subcommand("reconstruct",
                                 "run a model over /signal [N, D] of an HDF5 file as one stream; write /embedding "
                                 "[N, H] and /reconstruction [N, D] (docs/MODEL-SPEC.md); an Avocado checkpoint: one "
                                 "of its regions (--region, COMPARATORS-SPEC)");
    c->add_option("--model,-m", o->model, "model checkpoint (HDF5): epi-lstm, avocado or refined-cnn")->required();
    auto* m = c->add_option("--matrix,-x", o->matrix, "HDF5 file with /signal [N, D] float32, already transformed");
    auto* r = c->add_option("--region", o->region, "avocado: the region of the checkpoint to reconstruct");
    m->excludes(r);
    c->add_option("--out,-o", o->out, "output HDF5 file")->required();
    add_device_option(c, o->device);
    return {c, [o, c] {
                const checkpoint_format format = read_checkpoint_format(o->model);
                if (format != checkpoint_format::epi_lstm && c->count("--device") > 0)
                    throw input_error("command line: --device is for epi-lstm checkpoints; " + o->model.string() +
                                      " is not one");
                if (format == checkpoint_format::avocado) {
                    if (o->region.empty())
                        throw input_error("command line: " + o->model.string() +
                                          " is an avocado checkpoint: give --region NAME (one of its /regions)");
                    return run_avocado_reconstruct(o->model, o->region, o->out);
                }
                if (!o->region.empty())
                    throw input_error("command line: --region is for avocado checkpoints; " + o->model.string() +
                                      " is not one (give --matrix X.h5)");
                if (o->matrix.empty()) throw input_error("command line: give --matrix X.h5 (/signal [N, D])");
                if (format == checkpoint_format::refined_cnn)
                    return run_refined_cnn_reconstruct(o->model, o->matrix, o->out);
                with_checkpoint(o->model, [&](auto& model, const io::checkpoint& ck) {
                    const auto session = open_session(o->device, model);
                    session->set_standardization(ck.standardization);
                    const auto s = load_signal(o->matrix, model.input_size());
                    rowmajor emb(s.x.rows(), model.embedding_size()), rec(s.x.rows(), model.input_size());
                    progress_bar bar("reconstruct", "frames");
                    // MODEL-SPEC: the matrix is one stream.
                    const auto r = run_model(*session, s.view(), 1, emb.data(), rec.data(),
                                             [&](index_t k, index_t n, double loss) {
                                                 bar.update(k + 1, n, static_cast<double>(k + 1), loss);
                                             });
                    io::write_reconstruction(o->out, emb, rec);
                    // With a standardization the model's loss is in standardized units; report the
                    // MSE of the reconstruction in the matrix's own units, as without one.
                    double mse = r.loss;
                    if (!ck.standardization.empty()) {
                        double se = 0, n = 0;
                        for (index_t i = 0; i < s.x.rows(); ++i) {
                            if (!s.missing.empty() && s.missing[static_cast<std::size_t>(i)]) continue;
                            se += (rec.row(i) - s.x.row(i)).template cast<double>().squaredNorm();
                            n += 1;
                        }
                        mse = n > 0 ? se / (n * static_cast<double>(s.x.cols())) : 0;
                    }
                    std::cout << "reconstruction MSE " << mse << " over " << s.x.rows()
                              << " positions (per-track-mean baseline of this matrix: " << per_track_mean_mse(s)
                              << "); wrote " << o->out.string() << " (/embedding [" << emb.rows() << ", "
                              << emb.cols() << "], /reconstruction [" << rec.rows() << ", " << rec.cols() << "])\n";
                });
                return 0;
            }};
}

}  // namespace epilstm::cli
