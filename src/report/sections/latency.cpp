// The latency section: per operation, count, min, mean, percentiles, max (and in JSON the CDF).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::latency {

using fields::fixed;
using fields::format;
using Json = nlohmann::ordered_json;

namespace {

// Seconds to whole nanoseconds for JSON and CSV (fio's clat_ns): a bucket edge is 1 us * 1.01^i,
// whose neighbours differ by 10 ns and more, so rounding keeps them apart.
long long to_ns(double seconds) { return std::llround(seconds * 1e9); }

// The mean in nanoseconds: from the whole-nanosecond sum where the summary has it (a Latency
// built by hand may give only the mean in seconds).
double mean_ns(const Latency& l) { return l.mean_ns > 0 || l.mean == 0 ? l.mean_ns : l.mean * 1e9; }

// "p50", "p99.9", "p99.99": a percentile's column.
std::string percent_label(double p) { return format("p%g", p); }

}  // namespace

std::string text(const Report& r) {
  // In microseconds.
  const std::vector<Latency>& latency = r.latency;
  if (latency.empty()) return "";
  std::ostringstream o;
  int width = 6;  // "phase/op" names are wider
  for (const auto& l : latency) width = std::max(width, static_cast<int>(l.op.size()));
  o << format("%-12s %-*s %12s %12s %12s", "latency (us)", width, "op", "count", "min", "mean");
  for (const auto& [p, _] : latency.front().percentiles)
    o << format(" %12s", percent_label(p).c_str());
  o << format(" %12s\n", "max");
  for (const auto& l : latency) {
    o << format("%-12s %-*s %12llu %12.2f %12.2f", "", width, l.op.c_str(),
                static_cast<unsigned long long>(l.count), l.min * 1e6, l.mean * 1e6);
    for (const auto& [_, v] : l.percentiles) o << format(" %12.2f", v * 1e6);
    o << format(" %12.2f\n", l.max * 1e6);
  }
  return o.str();
}

Json json(const Report& r) {
  if (r.latency.empty()) return nullptr;
  Json out = Json::object();
  for (const auto& l : r.latency) {
    Json percentiles = Json::object();
    for (const auto& [p, v] : l.percentiles) percentiles[fixed(p, 6)] = to_ns(v);
    auto buckets = Json::array();
    for (const auto& [edge, count] : l.histogram)
      buckets.push_back(Json::array({to_ns(edge), count}));
    out[l.op] = {{"phase", fields::non_empty(l.phase)},
                 {"count", l.count},
                 {"min_ns", to_ns(l.min)},
                 {"mean_ns", mean_ns(l)},
                 {"max_ns", to_ns(l.max)},
                 {"percentiles_ns", percentiles},
                 {"histogram", buckets}};
  }
  return out;
}

std::string csv(const Report& r) {
  const std::vector<Latency>& latency = r.latency;
  if (latency.empty()) return "";
  std::ostringstream o;
  o << "\nkind,op,count,min_ns,mean_ns,max_ns";
  for (const auto& [p, _] : latency.front().percentiles) o << ',' << percent_label(p) << "_ns";
  o << "\n";
  for (const auto& l : latency) {
    o << "latency," << fields::csv_field(l.op) << ',' << l.count << ',' << to_ns(l.min) << ','
      << fixed(mean_ns(l), 1) << ',' << to_ns(l.max);
    for (const auto& [_, v] : l.percentiles) o << ',' << to_ns(v);
    o << "\n";
  }
  return o.str();
}

}  // namespace dgen::report::section::latency
