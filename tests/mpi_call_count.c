/* Counts a process's MPI_File_write_at_all calls (loaded with LD_PRELOAD, through the MPI
 * profiling interface) and writes the count to $DGEN_CALL_COUNT_DIR/rank-R at MPI_Finalize: what
 * test_mpi.cpp checks the collective calls a rank made against, independently of dgen_mpi's
 * own figures. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static long g_calls = 0;

int MPI_File_write_at_all(MPI_File fh, MPI_Offset offset, const void* buf, int count,
                          MPI_Datatype datatype, MPI_Status* status) {
  ++g_calls;
  return PMPI_File_write_at_all(fh, offset, buf, count, datatype, status);
}

int MPI_Finalize(void) {
  const char* dir = getenv("DGEN_CALL_COUNT_DIR");
  int rank = 0;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (dir != NULL) {
    char path[4096];
    snprintf(path, sizeof path, "%s/rank-%d", dir, rank);
    FILE* f = fopen(path, "w");
    if (f != NULL) {
      fprintf(f, "%ld\n", g_calls);
      fclose(f);
    }
  }
  return PMPI_Finalize();
}
