// SIGINT / SIGTERM / SIGPIPE turn into a flag the generate and write loops poll, so that an
// interrupted run stops cleanly and removes its partial output.
#pragma once

namespace dgen::mpi {

/// Installs the handlers (no SA_RESTART: a blocked write returns EINTR).
void install_stop_signals();

/// The signal that asked the run to stop, or 0.
int stop_signal();

}  // namespace dgen::mpi
