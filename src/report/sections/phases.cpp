// The phases section (--phases of a dataset): mdtest's summary of files per second.
#include <sstream>

#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::phases {

using fields::fixed;
using fields::format;
using Json = nlohmann::ordered_json;

std::string text(const Report& r) {
  if (r.phases.empty()) return "";
  std::ostringstream o;
  o << "\n" << format("%-10s %12s %11s %14s\n", "phase", "files", "seconds", "files/s");
  for (const Phase& p : r.phases) {
    o << format("%-10s %12llu %11.4f %14.1f\n", p.name.c_str(),
                static_cast<unsigned long long>(p.result.files), p.result.seconds,
                p.result.files_per_second);
  }
  return o.str();
}

Json json(const Report& r) {
  if (r.phases.empty()) return nullptr;
  auto phases = Json::array();
  for (const Phase& p : r.phases) {
    phases.push_back({{"name", p.name},
                      {"files", p.result.files},
                      {"seconds", p.result.seconds},
                      {"files_per_second", p.result.files_per_second},
                      {"bytes", p.result.bytes},
                      {"aggregate_gbps", p.result.aggregate_gbps},
                      {"stonewall", iterations::stonewall_json(p.result.stonewall)}});
  }
  return phases;
}

std::string csv(const Report& r) {
  if (r.phases.empty()) return "";
  std::ostringstream o;
  o << "\nkind,phase,files,seconds,files_per_second,bytes,aggregate_gbps,complete\n";
  for (const Phase& p : r.phases) {
    o << "phase," << p.name << ',' << p.result.files << ',' << fixed(p.result.seconds, 6) << ','
      << fixed(p.result.files_per_second, 3) << ',' << p.result.bytes << ','
      << fixed(p.result.aggregate_gbps, 6) << ',' << (p.result.complete ? "true" : "false") << "\n";
  }
  return o.str();
}

}  // namespace dgen::report::section::phases
