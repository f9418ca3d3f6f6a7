// libFuzzer: the hwloc XML topology loader behind --plan --topology FILE (users pass their own
// files). The input is written to a file and loaded; a file hwloc or the machine model refuses
// is a std::exception with a message, never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "topology/machine.hpp"
#include "topology/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path =
      "/dev/shm/dgen-fuzz-topology-" + std::to_string(getpid()) + ".xml";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    std::abort();
  }
  try {
    const auto machine = dgen::topology::load_machine(path);
    // A machine that loads can be planned (or is refused with a message).
    dgen::topology::PlanRequest req;
    req.ranks = 1 + static_cast<int>(size % 7);
    const auto plans = dgen::topology::plan_node(machine, req);
    if (plans.size() != static_cast<std::size_t>(req.ranks)) std::abort();
  } catch (const std::exception& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
