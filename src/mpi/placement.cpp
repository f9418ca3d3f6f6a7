#include "mpi/placement.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "buffer/partition.hpp"
#include "dgen/size.hpp"
#include "topology/memory.hpp"

namespace dgen::mpi {

namespace {

// Every local rank's cpus, on every rank of the node.
std::vector<std::vector<int>> allgather_on_node(const Job& job, const std::vector<int>& mine) {
  const int n = job.local_size();
  const int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<std::size_t>(n)), displs(static_cast<std::size_t>(n));
  check(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, job.node()), "MPI_Allgather");
  int total = 0;
  for (int i = 0; i < n; ++i) {
    displs[i] = total;
    total += lens[i];
  }
  std::vector<int> all(static_cast<std::size_t>(total));
  check(MPI_Allgatherv(mine.data(), len, MPI_INT, all.data(), lens.data(), displs.data(), MPI_INT,
                       job.node()),
        "MPI_Allgatherv");
  std::vector<std::vector<int>> out;
  for (int i = 0; i < n; ++i)
    out.emplace_back(all.begin() + displs[i], all.begin() + displs[i] + lens[i]);
  return out;
}

// Free memory of a NUMA node: MemFree plus the page cache the kernel can drop.
// Lines read "Node 0 MemFree:  6556460 kB".
std::uint64_t node_free_bytes(int node) {
  std::ifstream in("/sys/devices/system/node/node" + std::to_string(node) + "/meminfo");
  std::string line;
  std::uint64_t free_kib = 0, inactive_file_kib = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string word, index, key;
    std::uint64_t kib = 0;
    if (!(fields >> word >> index >> key >> kib)) continue;
    if (key == "MemFree:") free_kib = kib;
    if (key == "Inactive(file):") inactive_file_kib = kib;
  }
  return (free_kib + inactive_file_kib) * 1024;
}

}  // namespace

RankPlacement place_this_rank(const Job& job, const RunRequest& o,
                              std::vector<std::string>& warnings) {
  RankPlacement p;
  auto binder = std::make_shared<const topology::Binder>();  // one topology load for both
  const topology::Machine machine = binder->machine();
  p.node_count = static_cast<int>(machine.domains.size() + machine.memory_only.size());
  topology::PlanRequest req = o.plan;  // built once, with --plan's (app/request.hpp)
  req.ranks = job.local_size();
  const auto plans = topology::plan_node(machine, req);
  p.plan = plans[static_cast<std::size_t>(job.local_rank())];

  const std::vector<int> launcher = binder->process_cpus();
  const auto node_launcher = allgather_on_node(job, launcher);
  switch (o.bind) {
    case topology::BindPolicy::kAuto:
      if (topology::launcher_binding_matches(machine, plans, node_launcher)) {
        p.binding = "launcher";
      } else {
        binder->bind_process(p.plan.cpus);
        p.binding = "self";
      }
      p.pin_threads = true;
      break;
    case topology::BindPolicy::kLauncher: {
      // The plan of one rank on just the cpus the launcher gave this one.
      topology::PlanRequest one = req;
      one.ranks = 1;
      p.plan = topology::plan_node(topology::restrict_to(machine, launcher), one).front();
      p.plan.local_rank = job.local_rank();
      p.binding = "launcher";
      p.pin_threads = true;
      break;
    }
    case topology::BindPolicy::kNone:
      p.binding = "none";
      break;
  }
  p.bind_memory = p.binding != "none" && req.memory != topology::MemoryPolicy::kInherit;
  p.binder = std::move(binder);
  if (p.pin_threads && (std::getenv("OMP_PROC_BIND") || std::getenv("OMP_PLACES"))) {
    warnings.push_back(
        "OMP_PROC_BIND/OMP_PLACES are set, but dgen_mpi pins its threads to the "
        "plan's cpus itself (use --bind none to leave threads to OpenMP)");
  }
  if (p.plan.oversubscribed) {
    warnings.push_back("oversubscribed: " + std::to_string(p.plan.threads()) +
                       " thread(s) share cpus with other threads or ranks");
  }
  return p;
}

void keep_threads(RankPlacement& place, int threads) {
  if (threads >= place.threads()) return;
  place.plan.cpus.resize(static_cast<std::size_t>(threads));
  place.plan.thread_nodes.resize(static_cast<std::size_t>(threads));
}

void pin_current_thread(const RankPlacement& place, int t) {
  if (!place.pin_threads || t >= place.threads()) return;
  // OpenMP keeps its threads between regions: pin each once for its cpu.
  thread_local int pinned_cpu = -1;
  const int cpu = place.plan.cpus[static_cast<std::size_t>(t)];
  if (pinned_cpu == cpu) return;
  place.binder->bind_thread(cpu);
  pinned_cpu = cpu;
}

std::string check_memory(const Job& job, std::uint64_t bytes, const std::string& what) {
  const auto limits = topology::read_memory_limits();
  // The node's ranks together; summed as doubles, since sizes near 2^64 would wrap.
  double need = static_cast<double>(bytes);
  check(MPI_Allreduce(MPI_IN_PLACE, &need, 1, MPI_DOUBLE, MPI_SUM, job.node()), "MPI_Allreduce");
  if (need <= static_cast<double>(limits.usable())) return "";
  const auto need_bytes = need >= 0x1p64 ? UINT64_MAX : static_cast<std::uint64_t>(need);
  return what + ": " + std::to_string(job.local_size()) +
         (job.local_size() == 1 ? " rank on this node needs " : " ranks on this node need ") +
         format_size(need_bytes) + " in all, but " + format_size(limits.usable()) +
         " is available (" + limits.describe() + ")";
}

std::string check_node_memory(const Job& job, const RankPlacement& place, std::uint64_t size,
                              std::uint64_t granule) {
  // On a machine with one node, MemAvailable (checked before) says it all; some virtual
  // machines report less in the node's meminfo than they have.
  int max_node = 0;
  for (int n : place.plan.thread_nodes) max_node = std::max(max_node, n);
  int width = max_node + 1;
  check(MPI_Allreduce(MPI_IN_PLACE, &width, 1, MPI_INT, MPI_MAX, job.node()), "MPI_Allreduce");
  if (place.node_count <= 1 || !place.bind_memory) return "";
  std::vector<unsigned long long> need(static_cast<std::size_t>(width), 0);
  for (int t = 0; t < place.threads(); ++t) {
    need[static_cast<std::size_t>(place.plan.thread_nodes[t])] +=
        buffer::part_of(size, place.threads(), t, granule).size();
  }
  check(
      MPI_Allreduce(MPI_IN_PLACE, need.data(), width, MPI_UNSIGNED_LONG_LONG, MPI_SUM, job.node()),
      "MPI_Allreduce");
  if (job.local_rank() != 0) return "";
  for (int node = 0; node < width; ++node) {
    if (need[node] == 0) continue;
    const std::uint64_t free = node_free_bytes(node);
    if (need[node] > free) {
      return "--size " + format_size(size) + ": the node's ranks put " + format_size(need[node]) +
             " on NUMA node " + std::to_string(node) + ", which has " + format_size(free) + " free";
    }
  }
  return "";
}

}  // namespace dgen::mpi
