// The smallest MPI program: Open MPI prints its --report-bindings only for MPI programs.
#include <mpi.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Finalize();
  return 0;
}
