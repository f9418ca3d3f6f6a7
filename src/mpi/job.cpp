#include "mpi/job.hpp"

#include <unistd.h>

#include <climits>
#include <cstdio>

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

}  // namespace

void abort_job(const std::string& message, int exit_code) {
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
  measure_clock_offset();
}

void Job::measure_clock_offset() {
  // As IOR does: rank 0 sends its time to each rank in turn, which answers with its own; the
  // round trip with the least delay bounds the error of offset = remote - midpoint.
  constexpr int kRounds = 8;
  constexpr int kTag = 0xD6E0;
  for (int r = 1; r < size_; ++r) {
    if (rank_ == 0) {
      double best_rtt = 1e30, offset = 0;
      for (int k = 0; k < kRounds; ++k) {
        const double sent = MPI_Wtime();
        double remote = 0;
        check(MPI_Send(&sent, 1, MPI_DOUBLE, r, kTag, MPI_COMM_WORLD), "MPI_Send(clock)");
        check(MPI_Recv(&remote, 1, MPI_DOUBLE, r, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv(clock)");
        const double back = MPI_Wtime();
        if (back - sent < best_rtt) {
          best_rtt = back - sent;
          offset = remote - (sent + back) / 2;
        }
      }
      check(MPI_Send(&offset, 1, MPI_DOUBLE, r, kTag, MPI_COMM_WORLD), "MPI_Send(clock)");
    } else if (rank_ == r) {
      for (int k = 0; k < kRounds; ++k) {
        double sent = 0;
        check(MPI_Recv(&sent, 1, MPI_DOUBLE, 0, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv(clock)");
        const double mine = MPI_Wtime();
        check(MPI_Send(&mine, 1, MPI_DOUBLE, 0, kTag, MPI_COMM_WORLD), "MPI_Send(clock)");
      }
      check(MPI_Recv(&clock_offset_, 1, MPI_DOUBLE, 0, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "MPI_Recv(clock)");
    }
  }
}

Job::~Job() {
  if (node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
  MPI_Finalize();
}

void Job::barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

std::string Job::who() const { return "rank " + std::to_string(rank_) + " (" + host_ + ")"; }

void Job::agree(const std::string& local_error, int exit_code) const {
  // The lowest failing rank speaks for the job; MINLOC picks it and carries nothing else.
  struct {
    int failed_rank;
    int rank;
  } mine{local_error.empty() ? INT_MAX : rank_, rank_}, first{};
  check(MPI_Allreduce(&mine, &first, 1, MPI_2INT, MPI_MINLOC, MPI_COMM_WORLD),
        "MPI_Allreduce(agree)");
  if (first.failed_rank == INT_MAX) return;
  const int root = first.failed_rank;
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
