#include "topology/memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "dgen/size.hpp"

namespace dgen::topology {

namespace {

std::optional<std::uint64_t> read_number(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stoull(text);
  } catch (...) {
    return std::nullopt;
  }
}

// The cgroup directory of this process for a controller ("" = the v2 unified hierarchy).
std::optional<std::string> cgroup_dir(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // hierarchy-ID:controller-list:path
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controller.empty()
            ? controllers.empty()
            : ("," + controllers + ",").find("," + controller + ",") != std::string::npos) {
      return path;
    }
  }
  return std::nullopt;
}

// Bytes of address space the process maps now (VmSize in /proc/self/status).
std::uint64_t mapped_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmSize:") {
      std::uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
    std::getline(in, key);
  }
  return 0;
}

}  // namespace

std::uint64_t MemoryLimits::usable() const {
  std::uint64_t u = available;
  if (cgroup_free) u = std::min(u, *cgroup_free);
  if (address_space) u = std::min(u, *address_space);
  return u;
}

std::string MemoryLimits::describe() const {
  std::string s = "MemAvailable " + format_size(available);
  if (cgroup_free) s += ", cgroup memory limit leaves " + format_size(*cgroup_free);
  if (address_space) s += ", ulimit -v leaves " + format_size(*address_space);
  return s;
}

MemoryLimits read_memory_limits() {
  MemoryLimits m;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib) {
    std::getline(meminfo, unit);
    if (key == "MemAvailable:") m.available = kib * 1024;
  }
  const auto v2 = cgroup_dir("");
  if (v2 && std::ifstream("/sys/fs/cgroup" + *v2 + "/memory.max")) {
    const std::string base = "/sys/fs/cgroup" + *v2;
    if (auto limit = read_number(base + "/memory.max")) {
      const std::uint64_t used = read_number(base + "/memory.current").value_or(0);
      m.cgroup_free = *limit > used ? *limit - used : 0;
    }
  } else if (auto dir1 = cgroup_dir("memory")) {
    const std::string base = "/sys/fs/cgroup/memory" + *dir1;
    if (auto limit = read_number(base + "/memory.limit_in_bytes"); limit && *limit < (1ULL << 60)) {
      const std::uint64_t used = read_number(base + "/memory.usage_in_bytes").value_or(0);
      m.cgroup_free = *limit > used ? *limit - used : 0;
    }
  }
  struct rlimit as {};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const std::uint64_t mapped = mapped_bytes();
    m.address_space = as.rlim_cur > mapped ? as.rlim_cur - mapped : 0;
  }
  return m;
}

}  // namespace dgen::topology
