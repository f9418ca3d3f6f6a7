#include "mpi/stop_signal.hpp"

#include <csignal>
#include <initializer_list>

namespace dgen::mpi {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal != 0 && sig != SIGPIPE) {
    // The second request: the user (or the batch system) does not want to wait. Die of the
    // signal itself, so that the parent sees it.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  if (g_stop_signal == 0) g_stop_signal = sig;
}
}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int sig : {SIGINT, SIGTERM, SIGPIPE}) sigaction(sig, &sa, nullptr);
}

int stop_signal() { return g_stop_signal; }

}  // namespace dgen::mpi
