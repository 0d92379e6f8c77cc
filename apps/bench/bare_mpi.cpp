// The start-up benchmark's baseline: what Open MPI itself costs to start and stop N ranks
// (MPI_Init_thread at multirank's thread level, one barrier, MPI_Finalize), so that a multirank
// job's start and close can be read as a ratio to it on the same machine and launcher.
#include <mpi.h>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return provided >= MPI_THREAD_SERIALIZED ? 0 : 1;
}
