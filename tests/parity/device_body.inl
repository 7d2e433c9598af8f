// The shared device side of the parity test: runs a parity_input through the model on DEVICE_TAG
// (host_emulation in parity_host.cpp, cuda_device in parity_cuda.cu) exactly as the driver runs it
// on the CPU device: per frame stage → forward → download → backward → clip → Adam, carrying the
// encoder hidden on the device from frame to frame. It is the same model definition on both sides;
// what differs is the device's operations and LSTM layer (the CPU's fused one against the generic
// unroll of sequence/lstm_layer.hpp).
// Include after defining EPILSTM_PARITY_DEVICE (the device tag type) and including its header.
#include "parity_case.hpp"

#include <epilstm/model/autoencoder.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>

#include <algorithm>
#include <iterator>

namespace epilstm::parity {
namespace {

using device_t = EPILSTM_PARITY_DEVICE;

template <class Model> parity_output run_model(device_t& dev, const parity_input& in)
{
    Model m(dev, in.D, in.H, in.F);
    parity_output out;
    for (const auto& t : m.layout().tensors()) out.offsets.push_back(t.offset);
    if (static_cast<index_t>(in.params.size()) != m.parameter_count()) return out;  // the driver reports it
    m.set_parameters(in.params.data(), m.parameter_count());

    const index_t P = m.parameter_count(), H = in.H, E = m.embedding_size();
    typename Model::workspace ws, ws_encode;
    buffer<float, device_t> grad, carry;
    grad.resize(P);
    index_t max_batch = 1;
    for (const auto& f : in.frames) max_batch = std::max(max_batch, f.batch);
    carry.resize(H * max_batch);
    adam_options ao;
    ao.learning_rate = in.learning_rate;
    adam<float, device_t> opt(dev, P, ao);
    for (std::size_t k = 0; k < in.frames.size(); ++k) {
        const frame_input& f = in.frames[k];
        const index_t n = f.positions * f.batch;
        frame_batch<float> hf;
        hf.positions = f.positions;
        hf.batch = f.batch;
        hf.x = f.x.data();
        hf.weight = f.weight.empty() ? nullptr : f.weight.data();
        hf.lengths = f.lengths.data();
        auto df = m.stage(ws, hf);
        if (k > 0) df.h0 = carry.data();  // the carry never leaves the device
        frame_output fo;
        // encode() alone, in its own workspace, must give forward()'s embedding.
        m.encode(ws_encode, df);
        fo.encoded.resize(static_cast<std::size_t>(E * n));
        dev.download(fo.encoded.data(), ws_encode.embedding.data(), E * n);

        fo.loss = m.forward(ws, df);
        fo.embedding.resize(static_cast<std::size_t>(E * n));
        dev.download(fo.embedding.data(), ws.embedding.data(), E * n);
        fo.reconstruction.resize(static_cast<std::size_t>(in.D * n));
        dev.download(fo.reconstruction.data(), ws.reconstruction.data(), in.D * n);
        fo.carry.resize(static_cast<std::size_t>(H * f.batch));
        dev.download(fo.carry.data(), ws.carry.data(), H * f.batch);

        dev.fill(grad.data(), P, 0.0f);
        m.backward(ws, df, grad.data());
        fo.grad.resize(static_cast<std::size_t>(P));
        dev.download(fo.grad.data(), grad.data(), P);
        fo.grad_norm = {clip_global_norm(dev, grad.data(), P, in.clip_norm)};
        opt.step(m.parameters().data(), grad.data());
        fo.params.resize(static_cast<std::size_t>(P));
        m.get_parameters(fo.params.data());
        dev.copy(carry.data(), ws.carry.data(), H * f.batch);
        out.frames.push_back(std::move(fo));
    }
    out.adam_m.resize(static_cast<std::size_t>(P));
    out.adam_v.resize(static_cast<std::size_t>(P));
    opt.get_moments(out.adam_m.data(), out.adam_v.data());
    return out;
}

template <class S> parity_output by_shape(device_t& dev, const parity_input& in)
{
    switch (in.variant % 3) {
    case 0: return run_model<epi_lstm<S, paper_wiring, unidirectional, float, device_t>>(dev, in);
    case 1: return run_model<epi_lstm<S, own_cell_wiring, unidirectional, float, device_t>>(dev, in);
    default: return run_model<epi_lstm<S, paper_wiring, bidirectional, float, device_t>>(dev, in);
    }
}

}  // namespace

parity_output run_device(const parity_input& in)
{
    static device_t dev;  // one context (stream, cuBLAS handle) for the whole test program
    return with_cell(in.variant, [&](auto cell) { return by_shape<typename decltype(cell)::type>(dev, in); });
}

}  // namespace epilstm::parity
