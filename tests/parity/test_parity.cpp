// Parity of the device backend with the CPU backend: the same weights and frames must give the same
// embedding, reconstruction, loss, carried hidden, parameter gradients, gradient norm, clipped Adam
// step and Adam moments (float32, relative error ≤ 1e-5 of each tensor's largest magnitude), over
// three frames of three streams with the hidden carried between them, padding (a shorter stream, an
// empty stream, a short last frame) and loss weights, for all 12 variants
// {softsign, tanh} × {layer_norm, none} × {paper wiring, own-cell wiring, bidirectional}, and for
// softsign with rms_norm (a compile-time normalization) in the three wirings.
//
// The device side (device_body.inl) is linked in from parity_host.cpp (host-emulated device, runs
// in CI) or parity_cuda.cu (a GPU; exits with the skip code 77 when there is none).
#include "parity_case.hpp"

#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

using namespace epilstm;
using namespace epilstm::parity;

namespace {

constexpr double tolerance = 1e-5;
double worst = 0;  // the largest relative error seen, printed by parity_main.cpp

double max_rel(const std::vector<float>& got, const std::vector<float>& want)
{
    REQUIRE(got.size() == want.size());
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        diff = std::max(diff, std::abs(double(got[i]) - double(want[i])));
        scale = std::max(scale, std::abs(double(want[i])));
    }
    const double rel = scale > 0 ? diff / scale : diff;
    worst = std::max(worst, rel);
    return rel;
}

template <class Fn> void with_cpu_variant(int v, Fn&& fn)
{
    with_cell(v, [&](auto cell) {
        using S = typename decltype(cell)::type;
        switch (v % 3) {
        case 0: fn(std::type_identity<epi_lstm<S, paper_wiring, unidirectional, float>>{}); break;
        case 1: fn(std::type_identity<epi_lstm<S, own_cell_wiring, unidirectional, float>>{}); break;
        default: fn(std::type_identity<epi_lstm<S, paper_wiring, bidirectional, float>>{}); break;
        }
    });
}

frame_input make_frame(std::mt19937& rng, index_t D, index_t F, std::vector<index_t> lengths, bool weights)
{
    std::normal_distribution<float> nd(0.f, 1.f);
    std::uniform_real_distribution<float> ud(0.f, 2.f);
    frame_input f;
    f.positions = F;
    f.batch = static_cast<index_t>(lengths.size());
    f.lengths = std::move(lengths);
    f.x.resize(static_cast<std::size_t>(D * F * f.batch));
    for (auto& v : f.x) v = nd(rng);
    if (weights) {
        f.weight.resize(static_cast<std::size_t>(F * f.batch));
        for (std::size_t j = 0; j < f.weight.size(); ++j) f.weight[j] = j % 5 == 2 ? 0.f : ud(rng);
    }
    return f;
}

template <class Model> void check_variant(int variant)
{
    const index_t D = 7, H = 5, F = 6;
    Model cpu(D, H, F);
    cpu.initialize(17 + static_cast<std::uint64_t>(variant));
    std::mt19937 rng(static_cast<unsigned>(variant));
    std::uniform_real_distribution<float> jitter(-0.3f, 0.3f);
    for (index_t i = 0; i < cpu.parameters().size(); ++i) cpu.parameters()[i] += jitter(rng);  // γ ≠ 1, β ≠ 0

    parity_input in;
    in.variant = variant;
    in.D = D;
    in.H = H;
    in.F = F;
    in.params.assign(cpu.parameters().data(), cpu.parameters().data() + cpu.parameters().size());
    in.frames.push_back(make_frame(rng, D, F, {6, 6, 6}, true));
    in.frames.push_back(make_frame(rng, D, F, {6, 4, 0}, false));  // a stream ends; one is empty
    in.frames.push_back(make_frame(rng, D, 3, {3, 1, 2}, true));   // a short last frame
    in.clip_norm = 0.05f;  // small enough that every step is clipped

    const parity_output dev = run_device(in);

    // The device layout is the CPU model's (checkpoints are interchangeable).
    std::vector<index_t> offsets;
    for (const auto& t : cpu.layout().tensors()) offsets.push_back(t.offset);
    REQUIRE(dev.offsets == offsets);
    REQUIRE(dev.frames.size() == in.frames.size());

    typename Model::workspace ws;
    typename Model::vector grad;
    adam_options ao;
    ao.learning_rate = in.learning_rate;
    adam<float> opt(cpu.parameters().size(), ao);
    typename Model::vector carry;
    for (std::size_t k = 0; k < in.frames.size(); ++k) {
        const frame_input& f = in.frames[k];
        frame_batch<float> fb;
        fb.positions = f.positions;
        fb.batch = f.batch;
        fb.x = f.x.data();
        fb.weight = f.weight.empty() ? nullptr : f.weight.data();
        fb.lengths = f.lengths.data();
        fb.h0 = k == 0 ? nullptr : carry.data();
        const float loss = cpu.forward(ws, fb);
        grad = Model::vector::Zero(cpu.parameters().size());
        cpu.backward(ws, fb, grad);
        auto vec = [](const auto& m) { return std::vector<float>(m.data(), m.data() + m.size()); };
        const frame_output& d = dev.frames[k];
        INFO("frame " << k);
        CHECK(max_rel({d.loss}, {loss}) <= tolerance);
        CHECK(max_rel(d.embedding, vec(ws.embedding)) <= tolerance);
        CHECK(max_rel(d.encoded, vec(ws.embedding)) <= tolerance);
        CHECK(max_rel(d.reconstruction, vec(ws.reconstruction)) <= tolerance);
        CHECK(max_rel(d.carry, vec(ws.carry)) <= tolerance);
        for (const auto& t : cpu.layout().tensors()) {
            INFO("gradient of " << t.name);
            const auto b = grad.data() + t.offset;
            CHECK(max_rel(std::vector<float>(d.grad.begin() + t.offset, d.grad.begin() + t.offset + t.size()),
                          std::vector<float>(b, b + t.size())) <= tolerance);
        }
        const float norm = clip_global_norm<float>(grad, in.clip_norm);
        CHECK(max_rel(d.grad_norm, {norm}) <= tolerance);
        opt.step(cpu.parameters(), grad);
        CHECK(max_rel(d.params, vec(cpu.parameters())) <= tolerance);
        carry = ws.carry;
    }
    auto vec = [](const auto& m) { return std::vector<float>(m.data(), m.data() + m.size()); };
    CHECK(max_rel(dev.adam_m, vec(opt.first_moment())) <= tolerance);
    CHECK(max_rel(dev.adam_v, vec(opt.second_moment())) <= tolerance);
}

}  // namespace

TEST_CASE("device backend matches the CPU backend for every variant", "[parity]")
{
    for (int v = 0; v < variant_count; ++v) {
        with_cpu_variant(v, [&](auto type) {
            using M = typename decltype(type)::type;
            INFO("variant " << v << ": " << M::spec::activation::name << ", " << M::spec::normalization::name << ", "
                            << M::wiring::name << " wiring, " << M::encoder_direction::name);
            check_variant<M>(v);
        });
    }
}

double epilstm::parity::largest_relative_error() { return worst; }
