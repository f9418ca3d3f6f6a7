#include "report/provenance.hpp"

#include <hwloc.h>
#include <mpi.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "dgen/version.hpp"

namespace dgen::report {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

// "always [madvise] never" -> "madvise".
std::string thp_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  const auto a = line.find('['), b = line.find(']');
  return a != std::string::npos && b > a ? line.substr(a + 1, b - a - 1) : "unknown";
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, len);
  const auto comma = s.find(',');  // "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4"
  return comma == std::string::npos ? s : s.substr(0, comma);
}

// The release of the hwloc library this process runs with. hwloc_get_api_version() gives the
// API version (HWLOC_API_VERSION, which changes only with the API: 0x20800, "2.8.0", in hwloc
// 2.9.0), not the release. The library writes its release into every topology it builds, as
// the root object's documented "hwlocVersion" info attribute, which hwloc-info prints; a one-PU
// synthetic topology is built for it (no discovery of this machine: microseconds). The API
// version, marked as such, is the fallback should a library not set the attribute.
std::string hwloc_version() {
  std::string version;
  hwloc_topology_t topology = nullptr;
  if (hwloc_topology_init(&topology) == 0) {
    if (hwloc_topology_set_synthetic(topology, "pu:1") == 0 && hwloc_topology_load(topology) == 0) {
      const char* v = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topology), "hwlocVersion");
      if (v != nullptr) version = v;
    }
    hwloc_topology_destroy(topology);
  }
  if (!version.empty()) return version;
  const unsigned v = hwloc_get_api_version();
  return std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." +
         std::to_string(v & 0xff) + " (API)";
}

}  // namespace

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Provenance local_provenance() {
  Provenance p;
  p.cpu_model = cpu_model();
  p.transparent_hugepages = thp_mode();
#if defined(__clang__)
  p.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  p.compiler = "gcc " __VERSION__;
#else
  p.compiler = "unknown";
#endif
  p.dgen_version = std::string(dgen::version());
  p.mpi_version = mpi_library_version();
  p.hwloc_version = hwloc_version();
  for (const char* var : {"SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "FLUX_JOB_ID"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      p.job_id = v;
      break;
    }
  }
  return p;
}

}  // namespace dgen::report
