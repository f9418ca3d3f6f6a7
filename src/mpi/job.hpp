// The MPI job as every rank sees it: who it is, where it runs, and how ranks agree on errors.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dgen::mpi {

/// Raised on every rank when any rank failed: the job stops with this message and exit code.
class JobFailure : public std::runtime_error {
 public:
  JobFailure(const std::string& message, int exit_code)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// MPI_Init on construction, MPI_Finalize on destruction; plain `./dgen_mpi` is a singleton job.
class Job {
 public:
  Job(int* argc, char*** argv);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  ///< rank among the ranks of this node
  int local_size() const { return local_size_; }  ///< ranks on this node
  int nodes() const { return nodes_; }            ///< distinct nodes in the job
  const std::string& host() const { return host_; }
  MPI_Comm world() const { return MPI_COMM_WORLD; }
  MPI_Comm node() const { return node_; }

  /// Collective. Every rank passes its own error, empty if it is fine. If any rank failed,
  /// every rank throws JobFailure with the message of the lowest failing rank, prefixed with
  /// that rank and its host, and the exit code it gave. No rank is left waiting.
  void agree(const std::string& local_error, int exit_code = 1) const;

  /// Collective: every rank's string, in rank order, on rank 0 (empty elsewhere).
  std::vector<std::string> gather_strings(const std::string& mine) const;

  /// Seconds on rank 0's clock: MPI_Wtime minus this rank's offset to rank 0, measured at
  /// start-up from the quickest of several ping-pongs (MPI_Wtime is not a global clock).
  double now() const { return MPI_Wtime() - clock_offset_; }

  /// MPI_Barrier on every rank.
  void barrier() const;

  /// Collective: every rank waits here for every other. With a timeout set, no rank waits
  /// longer than that: each rank reports to rank 0 point to point, and when one has not come
  /// in time rank 0 names the missing ranks and ends the job (exit code kTimeoutExit).
  void sync() const;

  /// Collective: MPI_MIN or MPI_MAX of every rank's value, on every rank; with a timeout set,
  /// bounded as sync() is.
  int combine(int mine, MPI_Op op) const;

  /// > 0: sync() and agree() wait at most this many seconds for the other ranks.
  void set_timeout(double seconds) { timeout_ = seconds; }
  double timeout() const { return timeout_; }

  /// What the job is doing now ("iteration 2 of generate"), for the timeout's message.
  void set_phase(std::string phase) const { phase_ = std::move(phase); }

  /// "rank R (host)": how messages name a rank.
  std::string who() const;

  /// For --timeout's watchdog (any thread, no MPI): the other ranks of this node that do not
  /// run, from /proc ("rank 2 (host, pid 4711, stopped: SIGSTOP or a debugger)"; "exited" for
  /// a zombie), joined with ", ", empty when every one runs. `speaker` is set when this
  /// rank is the lowest-numbered running rank of the node: the one that names them, so that
  /// they are named once and not by every waiting rank. `held`, when given, gets their ranks.
  std::string held_ranks(bool& speaker, std::vector<int>* held = nullptr) const;

 private:
  void measure_clock_offset();

  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, nodes_ = 1;
  std::string host_;
  std::vector<std::string> hosts_;           ///< every rank's host, on rank 0 (for the timeout)
  std::vector<int> node_ranks_, node_pids_;  ///< the world rank and pid of each rank of the node
  double timeout_ = 0;
  mutable std::string phase_ = "start-up";
  MPI_Comm node_ = MPI_COMM_NULL;
  double clock_offset_ = 0;
  std::string session_dir_;  ///< a singleton's own Open MPI session directory, removed at the end
};

/// The exit code of a job ended by --timeout (as coreutils' timeout).
inline constexpr int kTimeoutExit = 124;

/// The exit code of a job ended by an I/O error (a write, read, flush, close or rename that
/// failed): distinct from 1, which --verify gives when a byte differs.
inline constexpr int kIoErrorExit = 4;

/// Ends the whole job from one rank: prints "dgen_mpi: rank R (host): message" and calls
/// MPI_Abort. For failures other ranks cannot be told about in a collective.
[[noreturn]] void abort_job(const std::string& message, int exit_code = 1);

/// What an abort leaves of the output ("the temporary file F stays as the kernel has it"): while
/// set, abort_job's message ends with it. Empty clears it.
void set_abort_note(const std::string& note);

/// Checks an MPI return code; on error, abort_job naming the call and MPI's error string.
void check(int rc, const char* call);

}  // namespace dgen::mpi
