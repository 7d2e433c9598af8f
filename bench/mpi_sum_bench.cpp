// The gradient sum of a data-parallel step, measured: epilstm's rank-ordered sum
// (parallel/mpi_communicator.hpp: MPI_Alltoallv + local adds in rank order + MPI_Allgatherv) against
// MPI_Allreduce (the MPI library's own algorithm and order), and the step's agreement (4 doubles).
//   mpirun -np P mpi_sum_bench [N floats, default 706994: the paper's shape D=1014 H=110] [repeats]
// Prints one line per operation from rank 0: median and best milliseconds. Figures only.
#include <epilstm/parallel/mpi_communicator.hpp>

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
template <class F>
void time_it(const char* what, int repeats, epilstm::index_t n, int rank, F&& f)
{
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        MPI_Barrier(MPI_COMM_WORLD);
        const double t0 = MPI_Wtime();
        f();
        ms.push_back((MPI_Wtime() - t0) * 1e3);
    }
    std::sort(ms.begin(), ms.end());
    if (rank == 0)
        std::printf("%-34s n=%ld  median %.4f ms  best %.4f ms\n", what, static_cast<long>(n), ms[ms.size() / 2],
                    ms.front());
}
}  // namespace

int main(int argc, char** argv)
{
    MPI_Init(&argc, &argv);
    {
        const epilstm::index_t n = argc > 1 ? std::atol(argv[1]) : 706994;
        const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
        epilstm::mpi_communicator c;
        std::vector<float> x(static_cast<std::size_t>(n)), y(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000) * 1e-3f;
        if (c.rank() == 0) std::printf("ranks %d\n", c.size());
        time_it("epilstm ordered sum (gradient)", repeats, n, c.rank(), [&] { c.sum(x.data(), n); });
        time_it("MPI_Allreduce (gradient)", repeats, n, c.rank(), [&] {
            MPI_Allreduce(x.data(), y.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        });
        time_it("agreement (4 doubles)", repeats * 20, 4, c.rank(),
                [&] { epilstm::agree<2>(c, std::array<double, 2>{1.0, 2.0}); });
    }
    MPI_Finalize();
    return 0;
}
