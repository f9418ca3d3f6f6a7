// SIGINT / SIGTERM / SIGPIPE turn into a flag the parallel passes poll between chunks, so that
// an interrupted run stops within a chunk, reports what it completed and removes its partial
// output. A second SIGINT, or a second SIGTERM more than a second after the first (launchers
// repeat a signal), ends the process at once. A rank that gets a signal passes the stop on to
// every other rank (launchers signal the ranks of other nodes a second or more apart, and a
// batch system may signal only some), so the whole job stops within a chunk of the first.
#pragma once

#include <mpi.h>

namespace dgen::mpi {

/// Installs the handlers (no SA_RESTART: a blocked write returns EINTR). With `announce`, the
/// first signal writes one line to stderr saying that the run is stopping (rank 0).
void install_stop_signals(bool announce);

/// The signal that asked the run to stop (this rank's own, or one another rank passed on), or
/// 0. Called on the thread that called MPI_Init, it also passes this rank's signal on and
/// takes in another rank's (point to point on a communicator of its own, at most every
/// millisecond); other threads only read the flag.
int stop_signal();

/// After MPI_Init, on the main thread of every rank (collective over `world`): from now on a
/// stop is passed on between the ranks.
void start_stop_relay(MPI_Comm world);

/// Before MPI_Finalize: no more passing on; the relay's pending receive is cancelled.
void end_stop_relay();

/// The report is out: a signal from now on (a launcher ending the job because a rank left with
/// a non-zero exit code) is not announced as a stop.
void run_finished();

}  // namespace dgen::mpi
