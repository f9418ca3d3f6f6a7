#include "mpi/stop_signal.hpp"

#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <initializer_list>

namespace dgen::mpi {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_announce = 0;
double g_first_at = 0;  // written by the first signal's handler only

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal == 0) {
    g_stop_signal = sig;
    g_first_at = monotonic_seconds();
    if (g_announce && sig != SIGPIPE) {
      const char text[] =
          "dgen_mpi: stopping at the next chunk to report what was done (a second signal ends "
          "the process)\n";
      [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, text, sizeof text - 1);
    }
    return;
  }
  // Launchers pass a signal on more than once (SLURM's slurmstepd and srun, mpirun and its
  // daemons): a repeat within a second is the same request. A later one, or a SIGINT typed
  // again, means now.
  if (sig == SIGPIPE || (sig != SIGINT && monotonic_seconds() - g_first_at < 1.0)) return;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
}  // namespace

void install_stop_signals(bool announce) {
  g_announce = announce ? 1 : 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int sig : {SIGINT, SIGTERM, SIGPIPE}) sigaction(sig, &sa, nullptr);
}

int stop_signal() { return g_stop_signal; }

void run_finished() { g_announce = 0; }

}  // namespace dgen::mpi
