// cpu::recurrent_product (backend/cpu/recurrent_gemm.hpp) against a double-precision reference, at
// the shapes the recurrence uses (U h: [4H × H]·[H × streams]; Uᵀ da_h: [H × 4H]·[4H × streams]) and
// at the edges of its tiles (rows not a multiple of the vector width, columns not a multiple of 8),
// on blocks of larger matrices (leading dimension > rows). Built twice: as configured, and, when the
// build machine has AVX-512F, with -mavx512f so that the unpacked kernel itself runs
// (tests/CMakeLists.txt).
#include <epilstm/backend/cpu/recurrent_gemm.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace epilstm;

namespace {

template <class T> void check_shape(index_t m, index_t k, index_t n, unsigned seed)
{
    using mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    // Operands are blocks of bigger matrices, as in the layer (U is a full matrix, h a column block).
    mat a_big(m + 5, k + 2), b_big(k + 3, n + 4), c_big = mat::Constant(m + 7, n + 6, T(42));
    for (index_t i = 0; i < a_big.size(); ++i) a_big.data()[i] = static_cast<T>(u(rng));
    for (index_t i = 0; i < b_big.size(); ++i) b_big.data()[i] = static_cast<T>(u(rng));
    const auto a = a_big.block(2, 1, m, k);
    const auto b = b_big.block(1, 3, k, n);
    auto c = c_big.block(3, 2, m, n);
    cpu::recurrent_product(a, b, c);

    const double tol = (std::is_same_v<T, float> ? 1e-5 : 1e-13) * std::sqrt(static_cast<double>(k));
    double worst = 0;
    for (index_t j = 0; j < n; ++j)
        for (index_t i = 0; i < m; ++i) {
            double ref = 0;
            for (index_t p = 0; p < k; ++p) ref += static_cast<double>(a(i, p)) * static_cast<double>(b(p, j));
            worst = std::max(worst, std::abs(static_cast<double>(c(i, j)) - ref));
        }
    INFO("m=" << m << " k=" << k << " n=" << n << " worst |error| " << worst);
    CHECK(worst <= tol);
    // Nothing outside the destination block was written.
    for (index_t j = 0; j < c_big.cols(); ++j)
        for (index_t i = 0; i < c_big.rows(); ++i)
            if (i < 3 || i >= 3 + m || j < 2 || j >= 2 + n) REQUIRE(c_big(i, j) == T(42));
}

}  // namespace

TEMPLATE_TEST_CASE("recurrent_product equals the product at the recurrence's shapes and tile edges", "[backend][gemm]",
                   float, double)
{
#if defined(__AVX512F__)
    WARN("the AVX-512 kernel is under test");
#else
    WARN("no AVX-512 in this build: the Eigen product is under test");
#endif
    unsigned seed = 1;
    for (index_t m : {1, 7, 8, 15, 16, 17, 33, 47, 48, 49, 64, 97, 110, 440})
        for (index_t n : {1, 3, 8, 9, 16, 32, 33})
            for (index_t k : {1, 5, 110}) check_shape<TestType>(m, k, n, seed++);
    check_shape<TestType>(110, 440, 32, seed++);  // Uᵀ da_h at H = 110, 32 streams per thread
    check_shape<TestType>(440, 110, 64, seed++);  // U h at H = 110, 64 streams on one thread
}
