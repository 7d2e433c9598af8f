// process_group.hpp in a build without MPI: always one process.
#include "process_group.hpp"

namespace epilstm::cli {

void start_process_group(int&, char**&) {}
communicator* process_group() { return nullptr; }
int process_rank() { return 0; }
void end_process_group() {}
bool mpi_compiled() { return false; }
void require_single_process(const char*) {}

}  // namespace epilstm::cli
