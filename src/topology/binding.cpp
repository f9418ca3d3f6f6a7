#include "topology/binding.hpp"

#include <hwloc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

namespace dgen::topology {

namespace {

struct Bitmap {
  hwloc_bitmap_t b = hwloc_bitmap_alloc();
  ~Bitmap() { hwloc_bitmap_free(b); }
};

Bitmap bitmap_of(const std::vector<int>& indices) {
  Bitmap m;
  for (int i : indices) hwloc_bitmap_set(m.b, static_cast<unsigned>(i));
  return m;
}

std::string error_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string to_string(BindPolicy p) {
  switch (p) {
    case BindPolicy::kAuto:
      return "auto";
    case BindPolicy::kLauncher:
      return "launcher";
    case BindPolicy::kNone:
      return "none";
  }
  return "auto";
}

BindPolicy parse_bind_policy(const std::string& text) {
  if (text == "auto") return BindPolicy::kAuto;
  if (text == "launcher") return BindPolicy::kLauncher;
  if (text == "none") return BindPolicy::kNone;
  throw std::invalid_argument("--bind " + text + ": must be auto, launcher or none");
}

bool launcher_binding_matches(const Machine& m, const std::vector<RankPlan>& plans,
                              const std::vector<std::vector<int>>& launcher_cpus) {
  if (launcher_cpus.size() != plans.size()) return false;
  std::set<int> every_pu;
  for (const auto& d : m.domains) {
    for (const auto& c : d.cores) every_pu.insert(c.pus.begin(), c.pus.end());
  }
  bool bound_at_all = false;
  for (std::size_t r = 0; r < plans.size(); ++r) {
    const std::set<int> given(launcher_cpus[r].begin(), launcher_cpus[r].end());
    if (!std::includes(given.begin(), given.end(), every_pu.begin(), every_pu.end()))
      bound_at_all = true;
    for (int cpu : plans[r].cpus) {
      if (!given.count(cpu)) return false;  // a planned cpu the launcher did not give
    }
    std::set<int> domain_pus;
    for (int node : plans[r].domains) {
      for (const auto& c : m.domain(node)->cores) domain_pus.insert(c.pus.begin(), c.pus.end());
    }
    for (int cpu : given) {
      if (!domain_pus.count(cpu)) return false;  // reaches outside the rank's domains
    }
  }
  return bound_at_all;
}

Machine restrict_to(const Machine& m, const std::vector<int>& pus) {
  const std::set<int> keep(pus.begin(), pus.end());
  Machine out;
  out.source = m.source;
  out.memory_only = m.memory_only;
  for (const auto& d : m.domains) {
    Domain nd = d;
    nd.cores.clear();
    for (const auto& c : d.cores) {
      Core nc;
      for (int pu : c.pus) {
        if (keep.count(pu)) nc.pus.push_back(pu);
      }
      if (!nc.pus.empty()) nd.cores.push_back(nc);
    }
    if (!nd.cores.empty()) out.domains.push_back(std::move(nd));
  }
  return out;
}

Binder::Binder() {
  if (hwloc_topology_init(&topo_) != 0 || hwloc_topology_load(topo_) != 0) {
    throw std::runtime_error(error_text("hwloc cannot read this machine's topology"));
  }
}

Binder::~Binder() { hwloc_topology_destroy(topo_); }

Machine Binder::machine() const { return machine_of(topo_, ""); }

std::vector<int> Binder::process_cpus() const {
  Bitmap set;
  std::vector<int> out;
  if (hwloc_get_cpubind(topo_, set.b, HWLOC_CPUBIND_PROCESS) != 0) return out;
  for (int i = hwloc_bitmap_first(set.b); i >= 0; i = hwloc_bitmap_next(set.b, i)) out.push_back(i);
  return out;
}

void Binder::bind_process(const std::vector<int>& cpus) const {
  const Bitmap set = bitmap_of(cpus);
  if (hwloc_set_cpubind(topo_, set.b, HWLOC_CPUBIND_PROCESS) != 0) {
    throw std::runtime_error(error_text("cannot bind the process to its planned cpus"));
  }
}

void Binder::bind_thread(int cpu) const {
  const Bitmap set = bitmap_of({cpu});
  if (hwloc_set_cpubind(topo_, set.b, HWLOC_CPUBIND_THREAD) != 0) {
    throw std::runtime_error(error_text("cannot bind a thread to cpu " + std::to_string(cpu)));
  }
}

void Binder::bind_memory(void* addr, std::size_t len, const std::vector<int>& nodes) const {
  const Bitmap set = bitmap_of(nodes);
  if (hwloc_set_area_membind(topo_, addr, len, set.b, HWLOC_MEMBIND_BIND,
                             HWLOC_MEMBIND_BYNODESET) != 0) {
    throw std::runtime_error(error_text("cannot bind the buffer to its NUMA node(s)"));
  }
}

}  // namespace dgen::topology
