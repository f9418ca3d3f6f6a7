#include "mpi/job.hpp"

#include <cstdlib>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <vector>

#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

namespace {

std::string local_host() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  if (MPI_Get_processor_name(name, &len) == MPI_SUCCESS && len > 0) return std::string(name, len);
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::mutex abort_note_lock;
std::string abort_note;  // set_abort_note

}  // namespace

void set_abort_note(const std::string& note) {
  const std::lock_guard<std::mutex> hold(abort_note_lock);
  abort_note = note;
}

void abort_job(const std::string& text, int exit_code) {
  // The job ends where it stands: the SIGTERM that MPI_Abort has the launcher send ends this
  // process at once, with no stop handling that would remove or cut what the note names.
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  std::string message = text;
  {
    const std::lock_guard<std::mutex> hold(abort_note_lock);
    if (!abort_note.empty()) message += "; " + abort_note;
  }
  int rank = 0, initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "dgen_mpi: rank %d (%s): %s\n", rank, local_host().c_str(), message.c_str());
  std::fflush(stderr);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  abort_job(std::string(call) + " failed: " + std::string(text, len));
}

Job::Job(int* argc, char*** argv) {
  // Started without a launcher (plain `dgen_mpi`), Open MPI 4.1 forks an orted for the
  // singleton, 0.1-0.2 s of every short run; an isolated singleton needs none (it cannot spawn,
  // which dgen_mpi never does). A user's own setting wins.
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") ||
                        std::getenv("PMI_RANK") || std::getenv("PMI_SIZE");
  if (!launched) setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
  // Isolated singletons all take job family 0, so their session directories are one, and one
  // singleton's cleanup at MPI_Finalize races another's start ("mkdir .../jf.0: File exists",
  // orte_init failed: seen with dgen_mpi runs started side by side). Each gets its own.
  if (!launched && std::getenv("OMPI_MCA_orte_tmpdir_base") == nullptr) {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    // mkdtemp: a directory this process made, never another's (pids repeat across
    // containers and nodes sharing a TMPDIR), so removing it at the end removes only ours.
    std::string name = base + "/dgen-ompi.XXXXXX";
    if (mkdtemp(name.data()) != nullptr) {
      session_dir_ = name;
      setenv("OMPI_MCA_orte_tmpdir_base", name.c_str(), 1);
    }
  }
  int provided = 0;
  // Only the main thread calls MPI; OpenMP threads generate and write.
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes and are reported with the rank, not as a bare MPI abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_),
        "MPI_Comm_split_type");
  check(MPI_Comm_rank(node_, &local_rank_), "MPI_Comm_rank(node)");
  check(MPI_Comm_size(node_, &local_size_), "MPI_Comm_size(node)");
  const int leader = local_rank_ == 0 ? 1 : 0;
  check(MPI_Allreduce(&leader, &nodes_, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD),
        "MPI_Allreduce(nodes)");
  host_ = local_host();
  node_ranks_.resize(static_cast<std::size_t>(local_size_));
  node_pids_.resize(static_cast<std::size_t>(local_size_));
  const int pid = static_cast<int>(getpid());
  check(MPI_Allgather(&rank_, 1, MPI_INT, node_ranks_.data(), 1, MPI_INT, node_),
        "MPI_Allgather(node ranks)");
  check(MPI_Allgather(&pid, 1, MPI_INT, node_pids_.data(), 1, MPI_INT, node_),
        "MPI_Allgather(node pids)");
  measure_clock_offset();
  hosts_ = gather_strings(host_);
  start_stop_relay(MPI_COMM_WORLD);
}

void Job::measure_clock_offset() {
  // As IOR does, from ping-pongs: rank 0 sends its time, the rank answers with its own; the
  // round trip with the least delay bounds the error of offset = remote - midpoint. Every rank
  // at once, not one after another: in each round rank 0 sends to all ranks and takes the
  // answers as they come, each stamped with its own send and arrival times, so start-up grows
  // with the rank count only as far as rank 0's sends do, not by 8 round trips per rank.
  constexpr int kRounds = 8;
  constexpr int kTag = 0xD6E0;
  if (size_ < 2) return;
  if (rank_ == 0) {
    const auto n = static_cast<std::size_t>(size_);
    std::vector<double> sent(n), remote(n), best_rtt(n, 1e30), offset(n, 0);
    std::vector<MPI_Request> recvs(n, MPI_REQUEST_NULL), sends(n, MPI_REQUEST_NULL);
    std::vector<int> done(n);
    for (int k = 0; k < kRounds; ++k) {
      for (int r = 1; r < size_; ++r) {
        check(MPI_Irecv(&remote[r], 1, MPI_DOUBLE, r, kTag, MPI_COMM_WORLD, &recvs[r]),
              "MPI_Irecv(clock)");
      }
      for (int r = 1; r < size_; ++r) {
        sent[r] = MPI_Wtime();
        check(MPI_Isend(&sent[r], 1, MPI_DOUBLE, r, kTag, MPI_COMM_WORLD, &sends[r]),
              "MPI_Isend(clock)");
      }
      for (int left = size_ - 1; left > 0;) {
        int count = 0;
        check(MPI_Waitsome(size_, recvs.data(), &count, done.data(), MPI_STATUSES_IGNORE),
              "MPI_Waitsome(clock)");
        const double back = MPI_Wtime();
        for (int i = 0; i < count; ++i) {
          const auto r = static_cast<std::size_t>(done[static_cast<std::size_t>(i)]);
          if (back - sent[r] < best_rtt[r]) {
            best_rtt[r] = back - sent[r];
            offset[r] = remote[r] - (sent[r] + back) / 2;
          }
        }
        left -= count;
      }
      check(MPI_Waitall(size_, sends.data(), MPI_STATUSES_IGNORE), "MPI_Waitall(clock)");
    }
    check(
        MPI_Scatter(offset.data(), 1, MPI_DOUBLE, &clock_offset_, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD),
        "MPI_Scatter(clock)");
    clock_offset_ = 0;
    return;
  }
  for (int k = 0; k < kRounds; ++k) {
    double sent = 0;
    check(MPI_Recv(&sent, 1, MPI_DOUBLE, 0, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Recv(clock)");
    const double mine = MPI_Wtime();
    check(MPI_Send(&mine, 1, MPI_DOUBLE, 0, kTag, MPI_COMM_WORLD), "MPI_Send(clock)");
  }
  check(MPI_Scatter(nullptr, 1, MPI_DOUBLE, &clock_offset_, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD),
        "MPI_Scatter(clock)");
}

Job::~Job() {
  end_stop_relay();
  if (node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
  MPI_Finalize();
  if (!session_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(session_dir_, ec);
  }
}

void Job::barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void Job::sync() const { combine(0, MPI_MAX); }

int Job::combine(int mine, MPI_Op op) const {
  if (!(timeout_ > 0 && size_ > 1)) {
    int out = 0;
    check(MPI_Allreduce(&mine, &out, 1, MPI_INT, op, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }
  // A reduction that can tell who is missing: each rank sends its value to rank 0 point to
  // point, and rank 0 answers everyone with the result once all have come. Messages between
  // two ranks with one tag arrive in order, so successive calls do not mix.
  constexpr int kArriveTag = 0xD6E1, kReleaseTag = 0xD6E2;
  // Rank 0 names a missing rank a second after the limit: a rank stuck in a storage call is
  // then named by its own watchdog (io/watchdog.hpp), with the call, the file and the offset.
  constexpr double kGrace = 1.0;
  const double deadline = MPI_Wtime() + timeout_ + kGrace;
  auto seconds = [this] {  // for the messages only
    char text[32];
    std::snprintf(text, sizeof text, "%g", timeout_);
    return std::string(text);
  };
  auto pause = [] { usleep(200); };
  if (rank_ == 0) {
    std::vector<int> got(static_cast<std::size_t>(size_), mine);
    std::vector<MPI_Request> reqs(static_cast<std::size_t>(size_), MPI_REQUEST_NULL);
    for (int r = 1; r < size_; ++r) {
      check(MPI_Irecv(&got[r], 1, MPI_INT, r, kArriveTag, MPI_COMM_WORLD, &reqs[r]), "MPI_Irecv");
    }
    int done = 0;
    while (true) {
      check(MPI_Testall(size_, reqs.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
      if (done) break;
      if (MPI_Wtime() > deadline) {
        // A rank of this node that is stopped or gone holds the others (inside a collective
        // call, where they wait for it): it is named first, and the running ranks that did not
        // come are named as waiting for it.
        bool speaker = true;
        std::vector<int> held_list;
        const std::string held = held_ranks(speaker, &held_list);
        std::string missing;
        int n = 0;
        for (int r = 1; r < size_; ++r) {
          if (reqs[r] == MPI_REQUEST_NULL) continue;
          if (std::find(held_list.begin(), held_list.end(), r) != held_list.end()) continue;
          missing += std::string(n++ ? ", " : "") + std::to_string(r) + " (" +
                     (r < static_cast<int>(hosts_.size()) ? hosts_[r] : "?") + ")";
        }
        const std::string late =
            " did not reach the end of " + phase_ + " within " + seconds() + " s";
        std::string cause = (n == 1 ? "rank " : "ranks ") + missing + late;
        if (!held.empty()) {
          cause = held + late;
          if (n > 0)
            cause += std::string("; ") + (n == 1 ? "rank " : "ranks ") + missing + " waited for it";
        }
        abort_job("--timeout " + seconds() + ": " + cause + "; ending the job", kTimeoutExit);
      }
      pause();
    }
    int result = mine;
    for (int r = 1; r < size_; ++r) {
      result = op == MPI_MIN ? std::min(result, got[r]) : std::max(result, got[r]);
    }
    std::vector<MPI_Request> sends(static_cast<std::size_t>(size_), MPI_REQUEST_NULL);
    for (int r = 1; r < size_; ++r) {
      check(MPI_Isend(&result, 1, MPI_INT, r, kReleaseTag, MPI_COMM_WORLD, &sends[r]), "MPI_Isend");
    }
    check(MPI_Waitall(size_, sends.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    return result;
  }
  MPI_Request send = MPI_REQUEST_NULL, recv = MPI_REQUEST_NULL;
  int result = 0;
  check(MPI_Isend(&mine, 1, MPI_INT, 0, kArriveTag, MPI_COMM_WORLD, &send), "MPI_Isend");
  check(MPI_Irecv(&result, 1, MPI_INT, 0, kReleaseTag, MPI_COMM_WORLD, &recv), "MPI_Irecv");
  // Rank 0 speaks for the job when another rank is missing; a rank waits twice as long, so
  // that it ends the job itself only when rank 0 is the one that does not come.
  const double own_deadline = deadline + timeout_ + kGrace;
  int done = 0;
  while (true) {
    check(MPI_Test(&recv, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) break;
    if (MPI_Wtime() > own_deadline) {
      abort_job("--timeout " + seconds() + ": rank 0 did not answer at the end of " + phase_ +
                    " within " + seconds() + " s; ending the job",
                kTimeoutExit);
    }
    pause();
  }
  check(MPI_Wait(&send, MPI_STATUS_IGNORE), "MPI_Wait");
  return result;
}

std::string Job::who() const { return "rank " + std::to_string(rank_) + " (" + host_ + ")"; }

std::string Job::held_ranks(bool& speaker, std::vector<int>* held_list) const {
  std::string held;
  int first_running = rank_;
  for (std::size_t i = 0; i < node_pids_.size(); ++i) {
    const int r = node_ranks_[i];
    if (r == rank_) continue;
    // The state is the field after the command's parenthesis (which may hold spaces).
    char state = '?';
    if (std::FILE* f =
            std::fopen(("/proc/" + std::to_string(node_pids_[i]) + "/stat").c_str(), "r")) {
      char line[1024] = {};
      const std::size_t n = std::fread(line, 1, sizeof line - 1, f);
      std::fclose(f);
      const std::string text(line, n);
      const std::size_t close = text.rfind(')');
      if (close != std::string::npos && close + 2 < text.size()) state = text[close + 2];
    }
    const char* what = state == 'T' || state == 't'   ? "stopped: SIGSTOP or a debugger"
                       : state == 'Z' || state == 'X' ? "exited"
                                                      : nullptr;
    if (what == nullptr) {
      first_running = std::min(first_running, r);
      continue;
    }
    if (held_list != nullptr) held_list->push_back(r);
    held += std::string(held.empty() ? "" : ", ") + "rank " + std::to_string(r) + " (" + host_ +
            ", pid " + std::to_string(node_pids_[i]) + ", " + what + ")";
  }
  speaker = first_running == rank_;
  return held;
}

void Job::agree(const std::string& local_error, int exit_code) const {
  // The lowest failing rank speaks for the job. With --timeout, a rank that does not come is
  // named instead of waited for (combine).
  const int root = combine(local_error.empty() ? INT_MAX : rank_, MPI_MIN);
  if (root == INT_MAX) return;
  std::string message = root == rank_ ? who() + ": " + local_error : std::string();
  int header[2] = {static_cast<int>(message.size()), exit_code};
  check(MPI_Bcast(header, 2, MPI_INT, root, MPI_COMM_WORLD), "MPI_Bcast(agree)");
  message.resize(static_cast<std::size_t>(header[0]));
  check(MPI_Bcast(message.data(), header[0], MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast(agree)");
  throw JobFailure(message, header[1]);
}

std::vector<std::string> Job::gather_strings(const std::string& mine) const {
  const int len = static_cast<int>(mine.size());
  std::vector<int> lens(rank_ == 0 ? size_ : 0), displs(rank_ == 0 ? size_ : 0);
  check(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::string all;
  if (rank_ == 0) {
    int total = 0;
    for (int i = 0; i < size_; ++i) {
      displs[i] = total;
      total += lens[i];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  check(MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0,
                    MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::string> out;
  for (int i = 0; rank_ == 0 && i < size_; ++i) out.push_back(all.substr(displs[i], lens[i]));
  return out;
}

}  // namespace dgen::mpi
