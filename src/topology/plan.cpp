#include "topology/plan.hpp"

#include <algorithm>
#include <stdexcept>

namespace dgen::topology {

namespace {

// [begin, end) of item i when n items are split into k contiguous, even shares.
int share_begin(int n, int k, int i) { return static_cast<int>(static_cast<long long>(n) * i / k); }

// The cpus one rank may use, grouped by domain: one per core, or every PU with smt.
struct Slice {
  const Domain* domain;
  std::vector<int> cpus;
};

std::vector<int> cpus_of(const std::vector<Core>& cores, bool smt) {
  std::vector<int> out;
  for (const auto& c : cores) {
    if (smt) {
      out.insert(out.end(), c.pus.begin(), c.pus.end());
    } else {
      out.push_back(c.pus.front());
    }
  }
  return out;
}

// Thread t's cpu: with fewer threads than cpus, evenly spaced over the rank's cpus (so every
// domain of the rank gets its share of threads and of the buffer); with more, round-robin.
// Thread order follows domain order, so thread t's part of the buffer lies in its domain.
std::vector<std::pair<int, const Domain*>> spread(const std::vector<Slice>& slices, int threads) {
  std::vector<std::pair<int, const Domain*>> all;
  for (const auto& s : slices) {
    for (int c : s.cpus) all.emplace_back(c, s.domain);
  }
  const int available = static_cast<int>(all.size());
  std::vector<std::pair<int, const Domain*>> out;
  for (int t = 0; t < threads; ++t) {
    out.push_back(all[static_cast<std::size_t>(
        threads <= available ? share_begin(available, threads, t) : t % available)]);
  }
  return out;
}

// More threads asked than the rank has cores: its cores' other hardware threads come first, so
// no two threads share a PU while a PU of the rank is idle (a VM that shows its 2 vCPUs as one
// core's 2 threads would otherwise run --threads 2 on one vCPU, at half the bandwidth).
void widen_to_siblings(std::vector<Slice>& slices) {
  for (auto& s : slices) {
    std::vector<int> siblings;
    for (const auto& c : s.domain->cores) {
      if (std::find(s.cpus.begin(), s.cpus.end(), c.pus.front()) == s.cpus.end()) continue;
      siblings.insert(siblings.end(), c.pus.begin() + 1, c.pus.end());
    }
    s.cpus.insert(s.cpus.end(), siblings.begin(), siblings.end());
  }
}

int hbm_node_of(const Domain& d) {
  if (d.near_memory_only.empty()) {
    throw std::invalid_argument("--memory hbm: NUMA domain " + std::to_string(d.os_index) +
                                " has no memory-only (HBM) node near it");
  }
  return d.near_memory_only.front();
}

}  // namespace

std::string to_string(MemoryPolicy p) {
  switch (p) {
    case MemoryPolicy::kLocal:
      return "local";
    case MemoryPolicy::kInherit:
      return "inherit";
    case MemoryPolicy::kHbm:
      return "hbm";
  }
  return "local";
}

MemoryPolicy parse_memory_policy(const std::string& text) {
  if (text == "local") return MemoryPolicy::kLocal;
  if (text == "inherit") return MemoryPolicy::kInherit;
  if (text == "hbm") return MemoryPolicy::kHbm;
  throw std::invalid_argument("--memory " + text + ": must be local, inherit or hbm");
}

std::vector<RankPlan> plan_node(const Machine& m, const PlanRequest& req) {
  if (req.ranks < 1) throw std::invalid_argument("ranks must be at least 1");
  const int n = req.ranks;
  const int domains = static_cast<int>(m.domains.size());
  const int units = req.smt ? m.pus() : m.cores();
  std::vector<std::vector<Slice>> shares(static_cast<std::size_t>(n));
  std::vector<bool> crowded(static_cast<std::size_t>(n), false);

  if (n <= domains) {
    for (int r = 0; r < n; ++r) {
      for (int d = share_begin(domains, n, r); d < share_begin(domains, n, r + 1); ++d) {
        shares[r].push_back({&m.domains[d], cpus_of(m.domains[d].cores, req.smt)});
      }
    }
  } else if (n <= units) {
    // Ranks to domains evenly and contiguously, then each domain's cpus split between its ranks.
    for (int d = 0; d < domains; ++d) {
      const int first = share_begin(n, domains, d), last = share_begin(n, domains, d + 1);
      const std::vector<int> cpus = cpus_of(m.domains[d].cores, req.smt);
      const int k = last - first;
      for (int j = 0; j < k; ++j) {
        const int cpu_count = static_cast<int>(cpus.size());
        std::vector<int> mine(cpus.begin() + share_begin(cpu_count, k, j),
                              cpus.begin() + share_begin(cpu_count, k, j + 1));
        if (mine.empty()) {  // more ranks than cpus in this domain: share round-robin
          mine.push_back(cpus[static_cast<std::size_t>(j) % cpus.size()]);
          crowded[first + j] = true;
        }
        shares[first + j].push_back({&m.domains[d], mine});
      }
    }
  } else {
    std::vector<std::pair<int, const Domain*>> all;
    for (const auto& d : m.domains) {
      for (int c : cpus_of(d.cores, req.smt)) all.emplace_back(c, &d);
    }
    for (int r = 0; r < n; ++r) {
      const auto& [cpu, d] = all[static_cast<std::size_t>(r) % all.size()];
      shares[r].push_back({d, {cpu}});
      crowded[r] = true;
    }
  }

  std::vector<RankPlan> plans;
  for (int r = 0; r < n; ++r) {
    RankPlan p;
    p.local_rank = r;
    auto count = [&] {
      int cpus = 0;
      for (const auto& s : shares[r]) cpus += static_cast<int>(s.cpus.size());
      return cpus;
    };
    for (const auto& s : shares[r]) p.domains.push_back(s.domain->os_index);
    int available = count();
    const int threads = req.threads.value_or(available);
    if (threads > available && !req.smt && !crowded[r]) {
      widen_to_siblings(shares[r]);
      available = count();
    }
    for (const auto& [cpu, d] : spread(shares[r], threads)) {
      p.cpus.push_back(cpu);
      p.thread_nodes.push_back(req.memory == MemoryPolicy::kHbm ? hbm_node_of(*d) : d->os_index);
    }
    for (int node : p.thread_nodes) {
      if (std::find(p.memory_nodes.begin(), p.memory_nodes.end(), node) == p.memory_nodes.end()) {
        p.memory_nodes.push_back(node);
      }
    }
    for (const auto& s : shares[r]) {
      if (req.memory == MemoryPolicy::kHbm) {
        const int h = hbm_node_of(*s.domain);
        if (std::find(p.memory_nodes.begin(), p.memory_nodes.end(), h) == p.memory_nodes.end()) {
          p.memory_nodes.push_back(h);
        }
      }
    }
    p.oversubscribed = crowded[r] || threads > available;
    plans.push_back(std::move(p));
  }
  return plans;
}

}  // namespace dgen::topology
