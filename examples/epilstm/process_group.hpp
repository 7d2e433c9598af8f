// The process group of one `epilstm` run (docs/distributed.md): under an MPI launcher (mpirun,
// srun) every rank runs the same command and train/embed split their work over the ranks; run
// plainly, or in a build without MPI, the program is one process and the group is null.
// process_group_mpi.cpp (MPI) or process_group_none.cpp implements it.
#pragma once

#include <epilstm/parallel/communicator.hpp>

namespace epilstm::cli {

/// Joins the MPI job when this process was started by an MPI launcher (its environment says so);
/// otherwise does nothing. Called once, first thing in main().
void start_process_group(int& argc, char**& argv);
/// The group when the job has more than one rank; null otherwise.
communicator* process_group();
/// 0 alone; this process's rank in the group.
int process_rank();
/// Leaves the MPI job (MPI_Finalize) when this process joined one; every rank calls it before it
/// exits.
void end_process_group();
/// True when the build has MPI (the `epilstm` program was linked with it).
bool mpi_compiled();

/// Refuses to run `command` in a group of more than one rank (the commands that do not split
/// their work): every rank throws the same input_error.
void require_single_process(const char* command);

}  // namespace epilstm::cli
