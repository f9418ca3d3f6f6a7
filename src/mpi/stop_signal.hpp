// SIGINT / SIGTERM / SIGPIPE turn into a flag the parallel passes poll between chunks, so that
// an interrupted run stops within a chunk, reports what it completed and removes its partial
// output. A second SIGINT, or a second SIGTERM more than a second after the first (launchers
// repeat a signal), ends the process at once.
#pragma once

namespace dgen::mpi {

/// Installs the handlers (no SA_RESTART: a blocked write returns EINTR). With `announce`, the
/// first signal writes one line to stderr saying that the run is stopping (rank 0).
void install_stop_signals(bool announce);

/// The signal that asked the run to stop, or 0.
int stop_signal();

/// The report is out: a signal from now on (a launcher ending the job because a rank left with
/// a non-zero exit code) is not announced as a stop.
void run_finished();

}  // namespace dgen::mpi
