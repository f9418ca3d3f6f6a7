#include "mpi/placement.hpp"

#include <numa.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace dgen::mpi {

namespace {

std::vector<int> affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  return cpus;
}

int node_of_cpu(int cpu) {
  const int n = numa_available() >= 0 ? numa_node_of_cpu(cpu) : 0;
  return n < 0 ? 0 : n;
}

}  // namespace

std::vector<int> RankPlacement::memory_nodes_of_thread(int t) const {
  if (t >= 0 && t < static_cast<int>(thread_nodes.size()) && pin_threads) return {thread_nodes[t]};
  return memory_nodes;
}

RankPlacement place_this_rank(const Job&, const app::Options& o,
                              std::vector<std::string>& warnings) {
  RankPlacement p;
  const std::vector<int> cpus = affinity_cpus();
  if (o.threads) {
    p.threads = *o.threads;
  } else if (const char* env = std::getenv("OMP_NUM_THREADS");
             env != nullptr && std::atoi(env) > 0) {
    p.threads = std::atoi(env);
  } else {
    p.threads = std::max<int>(1, static_cast<int>(cpus.size()));
  }
  for (int t = 0; t < p.threads; ++t) {
    const int cpu = cpus.empty() ? 0 : cpus[static_cast<std::size_t>(t) % cpus.size()];
    p.cpus.push_back(cpu);
    p.thread_nodes.push_back(node_of_cpu(cpu));
  }
  for (int c : cpus) {
    const int n = node_of_cpu(c);
    if (std::find(p.memory_nodes.begin(), p.memory_nodes.end(), n) == p.memory_nodes.end()) {
      p.memory_nodes.push_back(n);
    }
  }
  std::sort(p.memory_nodes.begin(), p.memory_nodes.end());
  p.numa_node = p.memory_nodes.empty() ? 0 : p.memory_nodes.front();
  p.oversubscribed = p.threads > static_cast<int>(cpus.size());
  if (p.oversubscribed) {
    warnings.push_back(std::to_string(p.threads) + " threads on " + std::to_string(cpus.size()) +
                       " cpus: oversubscribed");
  }
  return p;
}

void pin_current_thread(const RankPlacement& place, int t) {
  if (!place.pin_threads || t >= static_cast<int>(place.cpus.size())) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(place.cpus[t], &set);
  sched_setaffinity(0, sizeof set, &set);
}

}  // namespace dgen::mpi
