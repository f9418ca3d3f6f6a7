#include "topology/machine.hpp"

#include <fcntl.h>
#include <hwloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace dgen::topology {

namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};

// "0-3,8" -> {0,1,2,3,8} (the kernel's list format).
std::optional<std::set<int>> read_kernel_list(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  std::set<int> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    if (!item.empty() && item != "\n") {
      const auto dash = item.find('-');
      const int a = std::stoi(item.substr(0, dash));
      const int b = dash == std::string::npos ? a : std::stoi(item.substr(dash + 1));
      for (int i = a; i <= b; ++i) out.insert(i);
    }
    pos = end + 1;
  }
  return out;
}

bool is_memory_subtype(const char* subtype) {
  if (subtype == nullptr) return false;
  const std::string s = subtype;
  return s != "DRAM";  // HBM, MCDRAM, NVM, CXL-DRAM, SPM, GPUMemory: memory targets only
}

}  // namespace

int Machine::cores() const {
  int n = 0;
  for (const auto& d : domains) n += static_cast<int>(d.cores.size());
  return n;
}

int Machine::pus() const {
  int n = 0;
  for (const auto& d : domains) {
    for (const auto& c : d.cores) n += static_cast<int>(c.pus.size());
  }
  return n;
}

const Domain* Machine::domain(int os_index) const {
  for (const auto& d : domains) {
    if (d.os_index == os_index) return &d;
  }
  return nullptr;
}

namespace {

// hwloc 2.9 crashes on some malformed XML files (found by fuzz/fuzz_topology: a SEGV in
// hwloc_bitmap_compare_first). A file from the user is first loaded in a child process, so
// that a crash there becomes an error message here instead of a core dump.
void probe_xml_in_child(const std::string& xml_file) {
  constexpr int kLoaded = 0, kRefused = 3;  // any other end is a crash
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return;  // no probe: load it directly
  if (pid == 0) {
    // Quiet: the parent says what happened (a sanitizer's report of hwloc's crash, too).
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDERR_FILENO);
    // A crash ends the child by its signal, whatever handlers the parent had installed.
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) std::signal(sig, SIG_DFL);
    hwloc_topology_t t = nullptr;
    const bool ok = hwloc_topology_init(&t) == 0 &&
                    hwloc_topology_set_xml(t, xml_file.c_str()) == 0 && hwloc_topology_load(t) == 0;
    _exit(ok ? kLoaded : kRefused);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == kLoaded || WEXITSTATUS(status) == kRefused)) {
    return;  // loaded, or refused with hwloc's error: the real load below says which
  }
  const std::string how = WIFSIGNALED(status) ? "with signal " + std::to_string(WTERMSIG(status))
                                              : "exit code " + std::to_string(WEXITSTATUS(status));
  throw std::runtime_error("--topology " + xml_file + ": hwloc cannot read it (it crashed on " +
                           "the file, " + how + "): not a valid hwloc XML topology");
}

}  // namespace

Machine load_machine(const std::optional<std::string>& xml_file) {
  if (xml_file) probe_xml_in_child(*xml_file);
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) throw std::runtime_error("hwloc_topology_init failed");
  std::unique_ptr<hwloc_topology, TopologyDeleter> topo(raw);
  if (xml_file && hwloc_topology_set_xml(raw, xml_file->c_str()) != 0) {
    throw std::runtime_error("--topology " + *xml_file +
                             ": hwloc cannot read it: " + std::strerror(errno));
  }
  if (hwloc_topology_load(raw) != 0) {
    throw std::runtime_error(std::string("hwloc_topology_load failed: ") + std::strerror(errno));
  }
  return machine_of(raw, xml_file ? *xml_file : "");
}

Machine machine_of(hwloc_topology* raw, const std::string& xml_file) {
  Machine m;
  m.source = xml_file.empty() ? "this machine" : xml_file;

  // On a live machine the kernel says which nodes have CPUs.
  std::optional<std::set<int>> has_cpu;
  if (xml_file.empty()) has_cpu = read_kernel_list("/sys/devices/system/node/has_cpu");

  std::vector<hwloc_obj_t> nodes;
  for (hwloc_obj_t n = nullptr; (n = hwloc_get_next_obj_by_type(raw, HWLOC_OBJ_NUMANODE, n));) {
    nodes.push_back(n);
  }
  // Siblings: NUMA nodes attached to the same parent share its cpuset.
  std::map<hwloc_obj_t, std::vector<hwloc_obj_t>> by_parent;
  for (auto* n : nodes) by_parent[n->parent].push_back(n);

  auto memory_only = [&](hwloc_obj_t n) {
    if (has_cpu) return has_cpu->count(static_cast<int>(n->os_index)) == 0;
    if (is_memory_subtype(n->subtype)) return true;
    if (hwloc_bitmap_iszero(n->cpuset)) return true;
    // Flat-mode HBM without a subtype: a second node beside a CPU node, same cpuset.
    for (auto* s : by_parent[n->parent]) {
      if (s != n && !is_memory_subtype(s->subtype) && s->os_index < n->os_index) return true;
    }
    return false;
  };

  for (auto* n : nodes) {
    if (memory_only(n)) {
      m.memory_only.push_back({static_cast<int>(n->os_index), static_cast<int>(n->logical_index),
                               n->attr->numanode.local_memory, n->subtype ? n->subtype : ""});
      continue;
    }
    Domain d;
    d.os_index = static_cast<int>(n->os_index);
    d.logical_index = static_cast<int>(n->logical_index);
    d.memory_bytes = n->attr->numanode.local_memory;
    for (hwloc_obj_t core = nullptr;
         (core = hwloc_get_next_obj_inside_cpuset_by_type(raw, n->cpuset, HWLOC_OBJ_CORE, core));) {
      Core c;
      for (hwloc_obj_t pu = nullptr;
           (pu = hwloc_get_next_obj_inside_cpuset_by_type(raw, core->cpuset, HWLOC_OBJ_PU, pu));) {
        c.pus.push_back(static_cast<int>(pu->os_index));
      }
      if (!c.pus.empty()) d.cores.push_back(c);
    }
    if (d.cores.empty()) {
      // No core of this node is allowed to the job (a partial SLURM allocation): not a domain.
      continue;
    }
    m.domains.push_back(std::move(d));
  }
  // Memory-only nodes near each domain: those attached to an object that holds the domain's
  // cpus (flat-mode HBM beside its socket's DDR node), or whose cpuset overlaps the domain's.
  // Linux shows other CPU-less nodes (CXL, qemu's) under a group with no cpus: for those the
  // kernel's distance matrix picks the nearest.
  hwloc_distances_s* latency = nullptr;
  unsigned n_latency = 1;
  if (hwloc_distances_get_by_name(raw, "NUMALatency", &n_latency, &latency, 0) != 0 ||
      n_latency == 0) {
    latency = nullptr;
  }
  for (auto& d : m.domains) {
    hwloc_obj_t dn = hwloc_get_numanode_obj_by_os_index(raw, static_cast<unsigned>(d.os_index));
    std::uint64_t best = UINT64_MAX;
    int nearest = -1;
    for (const auto& mo : m.memory_only) {
      hwloc_obj_t mn = hwloc_get_numanode_obj_by_os_index(raw, static_cast<unsigned>(mo.os_index));
      if ((mn->parent != nullptr && hwloc_bitmap_isincluded(dn->cpuset, mn->parent->cpuset)) ||
          hwloc_bitmap_intersects(mn->cpuset, dn->cpuset)) {
        d.near_memory_only.push_back(mo.os_index);
      }
      hwloc_uint64_t there = 0, back = 0;
      if (hwloc_bitmap_iszero(mn->cpuset) && latency != nullptr &&
          hwloc_distances_obj_pair_values(latency, dn, mn, &there, &back) == 0 && there < best) {
        best = there;
        nearest = mo.os_index;
      }
    }
    if (d.near_memory_only.empty() && nearest >= 0) d.near_memory_only.push_back(nearest);
  }
  if (latency != nullptr) hwloc_distances_release(raw, latency);
  if (m.domains.empty()) throw std::runtime_error(m.source + ": no NUMA node with usable cores");
  return m;
}

}  // namespace dgen::topology
