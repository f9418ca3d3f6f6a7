// Where this rank and its threads run and where its memory goes, as decided for this run.
#pragma once

#include <string>
#include <vector>

#include "app/options.hpp"
#include "mpi/job.hpp"

namespace dgen::mpi {

struct RankPlacement {
  int threads = 1;
  std::vector<int> cpus;          ///< OS PU index per thread
  std::vector<int> thread_nodes;  ///< OS NUMA node each thread's pages belong on
  int numa_node = -1;             ///< first domain
  std::vector<int> memory_nodes;  ///< OS nodes the buffer is meant to be on
  std::string binding = "none";   ///< launcher | self | none
  bool pin_threads = false;       ///< whether each thread is pinned to its cpu
  bool oversubscribed = false;

  /// The node(s) thread t's pages are meant to be on.
  std::vector<int> memory_nodes_of_thread(int t) const;
};

/// Decides this rank's placement (collective). Appends warnings for the report.
RankPlacement place_this_rank(const Job& job, const app::Options& options,
                              std::vector<std::string>& warnings);

/// Pins the calling OpenMP thread t to its cpu when the placement pins threads.
void pin_current_thread(const RankPlacement& place, int t);

}  // namespace dgen::mpi
