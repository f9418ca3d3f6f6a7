#include "mpi/stop_signal.hpp"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <string>
#include <thread>

namespace dgen::mpi {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_announce = 0;
double g_first_at = 0;              // written by the first signal's handler only
std::atomic<int> g_remote_stop{0};  // another rank's signal, once the main thread took it in
static_assert(std::atomic<int>::is_always_lock_free, "read in a signal handler");

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal == 0) {
    g_stop_signal = sig;
    g_first_at = monotonic_seconds();
    // Announced once: not again when another rank's stop was announced already.
    if (g_announce && sig != SIGPIPE && g_remote_stop.load() == 0) {
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

// Passing a stop between the ranks. The rank that gets a signal sends its number to every
// other rank, unless a stop came to it first (so a launcher that signals every rank costs
// about one round of messages, not one per pair); every rank keeps one receive posted for
// it. Only the main thread touches MPI (MPI_THREAD_FUNNELED).
struct Relay {
  bool open = false;
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  std::thread::id main;
  MPI_Request recv = MPI_REQUEST_NULL;
  int got = 0;          ///< the signal another rank passed on (the receive's buffer)
  int sent_signal = 0;  ///< this rank's signal (the sends' buffer, kept while they go)
  bool sent = false;
  double next_poll = 0;
};
Relay g_relay;
constexpr int kRelayTag = 0xD6E5;

void poll_relay() {
  Relay& r = g_relay;
  const double now = monotonic_seconds();
  if (now < r.next_poll) return;
  r.next_poll = now + 0.001;
  if (r.recv != MPI_REQUEST_NULL) {
    int done = 0;
    MPI_Status st;
    if (MPI_Test(&r.recv, &done, &st) == MPI_SUCCESS && done) {
      r.recv = MPI_REQUEST_NULL;
      if (g_stop_signal == 0 && g_remote_stop.load() == 0) {
        g_remote_stop.store(r.got);
        if (g_announce) {
          const std::string text = "dgen_mpi: rank " + std::to_string(st.MPI_SOURCE) +
                                   " got signal " + std::to_string(r.got) +
                                   ": stopping at the next chunk to report what was done\n";
          [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, text.data(), text.size());
        }
      }
    }
  }
  if (!r.sent && g_stop_signal != 0 && g_stop_signal != SIGPIPE) {
    r.sent = true;
    if (g_remote_stop.load() != 0) return;  // the stop came from elsewhere first: passed on
    r.sent_signal = g_stop_signal;
    for (int to = 0; to < r.size; ++to) {
      if (to == r.rank) continue;
      MPI_Request req = MPI_REQUEST_NULL;
      if (MPI_Isend(&r.sent_signal, 1, MPI_INT, to, kRelayTag, r.comm, &req) == MPI_SUCCESS)
        MPI_Request_free(&req);  // one int: sent eagerly; nobody waits on it
    }
  }
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

int stop_signal() {
  if (g_relay.open && std::this_thread::get_id() == g_relay.main) poll_relay();
  const int own = g_stop_signal;
  return own != 0 ? own : g_remote_stop.load(std::memory_order_relaxed);
}

void start_stop_relay(MPI_Comm world) {
  Relay& r = g_relay;
  if (r.open) return;
  if (MPI_Comm_dup(world, &r.comm) != MPI_SUCCESS) return;
  MPI_Comm_rank(r.comm, &r.rank);
  MPI_Comm_size(r.comm, &r.size);
  r.main = std::this_thread::get_id();
  if (r.size < 2) return;
  if (MPI_Irecv(&r.got, 1, MPI_INT, MPI_ANY_SOURCE, kRelayTag, r.comm, &r.recv) != MPI_SUCCESS)
    return;
  r.open = true;
}

void end_stop_relay() {
  Relay& r = g_relay;
  r.open = false;
  if (r.recv != MPI_REQUEST_NULL) {
    MPI_Cancel(&r.recv);
    MPI_Wait(&r.recv, MPI_STATUS_IGNORE);
  }
  // The communicator is left to MPI_Finalize: stops passed on that nobody took in may still
  // be queued on it.
}

void run_finished() { g_announce = 0; }

}  // namespace dgen::mpi
