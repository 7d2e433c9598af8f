// process_group.hpp over MPI. A process joins the job only when an MPI launcher started it (Open
// MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMI/PMIx launchers such as Slurm's srun set PMI_SIZE or
// PMIX_RANK): run plainly, the program never initializes MPI, so it starts as fast as a build
// without MPI and needs no MPI runtime.
#include "process_group.hpp"

#include <epilstm/parallel/mpi_communicator.hpp>

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace epilstm::cli {

namespace {
std::unique_ptr<mpi_communicator> world;
bool joined = false;

bool launched_by_mpi()
{
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS"})
        if (std::getenv(v)) return true;
    return false;
}
}  // namespace

void start_process_group(int& argc, char**& argv)
{
    if (!launched_by_mpi()) return;
    int provided = 0;
    // One thread calls MPI (the trainer's); OpenMP threads compute only.
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        std::fprintf(stderr, "epilstm: error: MPI_Init failed\n");
        std::exit(2);
    }
    joined = true;
    auto c = std::make_unique<mpi_communicator>(MPI_COMM_WORLD);
    if (c->size() > 1) world = std::move(c);
    // Rank 0 speaks for the job: the others' normal output goes nowhere (their errors reach rank 0
    // through the agreement points, parallel/communicator.hpp).
    if (world && world->rank() != 0) {
        if (!std::freopen("/dev/null", "w", stdout)) std::fprintf(stderr, "epilstm: cannot silence rank output\n");
    }
}

communicator* process_group() { return world.get(); }
int process_rank() { return world ? world->rank() : 0; }

void end_process_group()
{
    if (!joined) return;
    joined = false;
    std::fflush(stdout);
    world.reset();
    MPI_Finalize();
}

bool mpi_compiled() { return true; }

void require_single_process(const char* command)
{
    if (!world) return;
    throw input_error(std::string("epilstm ") + command + " does not split its work over MPI ranks; run it as one "
                      "process (without mpirun), or use train or embed, which do (docs/distributed.md)");
}

}  // namespace epilstm::cli
