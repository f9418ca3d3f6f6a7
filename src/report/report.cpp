#include "report/report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "core/text.hpp"
#include "dgen/size.hpp"
#include "report/lists.hpp"

namespace dgen::report {

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string hex_seed(std::uint64_t seed) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, seed);
  return buf;
}

nlohmann::ordered_json iterations_json(const std::vector<IterationResult>& its) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& it : its) {
    out.push_back({{"seconds", it.seconds},
                   {"aggregate_gbps", it.aggregate_gbps},
                   {"rank_min_gbps", it.rank_min_gbps},
                   {"rank_mean_gbps", it.rank_mean_gbps},
                   {"rank_max_gbps", it.rank_max_gbps}});
  }
  return out;
}

std::string spec_line(const DataSpec& s) {
  return "seed " + hex_seed(s.seed) + ", dedup " + format_number(s.dedup_ratio) + ":1 per " +
         format_size(s.dedup_unit) + " unit, compress " + format_number(s.compress_ratio) + ":1 (" +
         std::string(to_string(s.compress_fill)) + " fill)";
}

}  // namespace

Statistics statistics_of(const std::vector<double>& v) {
  Statistics s;
  if (v.empty()) return s;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  if (v.size() > 1) {
    double sq = 0;
    for (double x : v) sq += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(sq / static_cast<double>(v.size() - 1));
  }
  return s;
}

std::string render_table(const Report& r) {
  std::ostringstream o;
  const Provenance& p = r.provenance;
  o << "dgen_mpi " << p.dgen_version << "  " << p.start_time << "  " << p.host;
  if (!p.job_id.empty()) o << "  job " << p.job_id;
  o << "\n";
  o << "data      " << spec_line(r.spec) << "\n";
  o << "job       " << r.ranks << (r.ranks == 1 ? " rank" : " ranks") << " on " << r.nodes
    << (r.nodes == 1 ? " node" : " nodes") << ", " << r.threads << " threads/rank, simd " << r.simd
    << ", " << format_size(r.bytes_per_rank) << "/rank, " << format_size(r.total_bytes) << " total"
    << (r.oversubscribed ? ", OVERSUBSCRIBED" : "") << "\n";
  if (r.mode == "bench") {
    o << "mode      generate into memory, " << r.stores << " stores; first touch "
      << fixed(r.first_touch_seconds, 3) << " s\n";
  } else {
    o << "mode      write to " << r.output.value_or("?") << "\n";
  }
  o << "\n";
  const char* rate = r.mode == "bench" ? "generate" : "write";
  char line[256];
  std::snprintf(line, sizeof line, "%5s %11s %16s %14s %14s %14s\n", "iter", "seconds",
                "aggregate GB/s", "rank min GB/s", "rank mean GB/s", "rank max GB/s");
  o << line;
  for (std::size_t i = 0; i < r.iterations.size(); ++i) {
    const auto& it = r.iterations[i];
    std::snprintf(line, sizeof line, "%5zu %11.4f %16.2f %14.2f %14.2f %14.2f\n", i + 1, it.seconds,
                  it.aggregate_gbps, it.rank_min_gbps, it.rank_mean_gbps, it.rank_max_gbps);
    o << line;
  }
  o << "\n"
    << rate << " aggregate GB/s: min " << fixed(r.summary.min, 2) << "  mean "
    << fixed(r.summary.mean, 2) << "  max " << fixed(r.summary.max, 2) << "  stddev "
    << fixed(r.summary.stddev, 2) << "\n";
  if (r.baseline) {
    o << "memset aggregate GB/s: " << fixed(r.baseline->aggregate_gbps, 2) << " (best of "
      << r.baseline->iterations.size() << "); generate / memset = " << fixed(r.baseline->ratio, 3)
      << "\n";
  }
  o << "\n";
  std::snprintf(line, sizeof line, "%5s %5s %-16s %5s %7s %-9s %-8s %-10s %9s %9s %7s %s\n", "rank",
                "local", "host", "numa", "threads", "mem nodes", "binding", "simd", "GB/s",
                "memset", "local%", "cpus");
  o << line;
  for (const auto& k : r.per_rank) {
    std::snprintf(line, sizeof line, "%5d %5d %-16s %5d %7d %-9s %-8s %-10s %9.2f %9s %7s %s\n",
                  k.rank, k.local_rank, k.host.substr(0, 16).c_str(), k.numa_node, k.threads,
                  comma_list(k.memory_nodes).c_str(), k.binding.c_str(), k.simd.c_str(), k.gbps,
                  r.baseline ? fixed(k.baseline_gbps, 2).c_str() : "-",
                  r.mode == "bench" ? fixed(100.0 * k.local_fraction, 1).c_str() : "-",
                  range_list(k.cpus).c_str());
    o << line;
  }
  for (const auto& w : r.warnings) o << "warning: " << w << "\n";
  return o.str();
}

nlohmann::ordered_json to_json(const Report& r) {
  const Provenance& p = r.provenance;
  nlohmann::ordered_json j;
  j["version"] = p.dgen_version;
  j["mode"] = r.mode;
  j["spec"] = {{"seed", r.spec.seed},
               {"dedup_ratio", r.spec.dedup_ratio},
               {"dedup_unit", r.spec.dedup_unit},
               {"compress_ratio", r.spec.compress_ratio},
               {"compress_fill", to_string(r.spec.compress_fill)}};
  j["simd"] = r.simd;
  j["threads"] = r.threads;
  j["ranks"] = r.ranks;
  j["nodes"] = r.nodes;
  j["oversubscribed"] = r.oversubscribed;
  j["bytes_per_rank"] = r.bytes_per_rank;
  j["bytes"] = r.total_bytes;
  j["stores"] = r.stores;
  j["output"] = r.output ? nlohmann::ordered_json(*r.output) : nlohmann::ordered_json();
  j["first_touch_seconds"] = r.first_touch_seconds;
  j["iterations"] = iterations_json(r.iterations);
  j["summary"] = {{"aggregate_gbps",
                   {{"min", r.summary.min},
                    {"mean", r.summary.mean},
                    {"max", r.summary.max},
                    {"stddev", r.summary.stddev}}}};
  if (r.baseline) {
    j["baseline"] = {{"kind", "memset"},
                     {"aggregate_gbps", r.baseline->aggregate_gbps},
                     {"ratio", r.baseline->ratio},
                     {"iterations", iterations_json(r.baseline->iterations)}};
  } else {
    j["baseline"] = nullptr;
  }
  auto ranks = nlohmann::ordered_json::array();
  for (const auto& k : r.per_rank)
    ranks.push_back(nlohmann::ordered_json::parse(nlohmann::json(k).dump()));
  j["per_rank"] = ranks;
  j["warnings"] = r.warnings;
  j["provenance"] = {
      {"command_line", p.command_line},
      {"start_time", p.start_time},
      {"host", p.host},
      {"cpu_model", p.cpu_model},
      {"transparent_hugepages", p.transparent_hugepages},
      {"compiler", p.compiler},
      {"dgen_version", p.dgen_version},
      {"mpi_version", p.mpi_version},
      {"hwloc_version", p.hwloc_version},
      {"job_id", p.job_id.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(p.job_id)}};
  return j;
}

std::string render_csv(const Report& r) {
  std::ostringstream o;
  o << "mode,rank,local_rank,host,numa_node,threads,simd,iteration,bytes,seconds,gbps,"
       "aggregate_gbps,job_seconds,baseline_gbps,local_fraction\n";
  for (const auto& k : r.per_rank) {
    for (std::size_t i = 0; i < k.seconds.size() && i < r.iterations.size(); ++i) {
      const double gbps = k.seconds[i] > 0 ? r.bytes_per_rank / k.seconds[i] / 1e9 : 0;
      o << r.mode << ',' << k.rank << ',' << k.local_rank << ',' << k.host << ',' << k.numa_node
        << ',' << k.threads << ',' << k.simd << ',' << i + 1 << ',' << r.bytes_per_rank << ','
        << fixed(k.seconds[i], 6) << ',' << fixed(gbps, 3) << ','
        << fixed(r.iterations[i].aggregate_gbps, 3) << ',' << fixed(r.iterations[i].seconds, 6)
        << ',' << (r.baseline ? fixed(k.baseline_gbps, 3) : "") << ',' << fixed(k.local_fraction, 4)
        << "\n";
    }
  }
  return o.str();
}

}  // namespace dgen::report

namespace dgen::report {

std::string render(const Report& report, Format format) {
  switch (format) {
    case Format::kJson:
      return to_json(report).dump(2) + "\n";
    case Format::kCsv:
      return render_csv(report);
    case Format::kTable:
      break;
  }
  return render_table(report);
}

}  // namespace dgen::report
