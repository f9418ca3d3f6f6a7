// The run section: the first lines, the summary, the per-rank rows, warnings and provenance.
#include <algorithm>
#include <cinttypes>
#include <sstream>

#include "core/text.hpp"
#include "dgen/size.hpp"
#include "report/lists.hpp"
#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::run {

using fields::fixed;
using fields::format;
using Json = nlohmann::ordered_json;

namespace {

std::string hex_seed(std::uint64_t seed) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, seed);
  return buf;
}

std::string completeness(const Report& r) {
  if (r.complete) return "complete";
  std::string s = "INCOMPLETE: stopped by signal " + std::to_string(r.stop_signal);
  if (r.output_state) {
    s += "; " + r.output_state->text;
  } else if (r.bytes_kept) {
    s += "; --keep-partial kept the first " + std::to_string(*r.bytes_kept) + " bytes";
  }
  return s;
}

std::string spec_line(const DataSpec& s) {
  return "seed " + hex_seed(s.seed) + ", dedup " + format_number(s.dedup_ratio) + ":1 per " +
         format_size(s.dedup_unit) + " unit, compress " + format_number(s.compress_ratio) + ":1 (" +
         std::string(to_string(s.compress_fill)) + " fill)";
}

Json statistics_json(const Statistics& s) {
  return {{"min", s.min}, {"mean", s.mean}, {"max", s.max}, {"stddev", s.stddev}};
}

}  // namespace

std::string header_text(const Report& r) {
  std::ostringstream o;
  const Provenance& p = r.provenance;
  o << "dgen_mpi " << p.dgen_version << "  " << p.start_time << "  " << p.host;
  if (!p.job_id.empty()) o << "  job " << p.job_id;
  o << "  " << completeness(r) << "\n";
  if (!r.analyze) o << "data      " << spec_line(r.spec) << "\n";
  o << "job       " << r.ranks << (r.ranks == 1 ? " rank" : " ranks") << " on " << r.nodes
    << (r.nodes == 1 ? " node" : " nodes") << ", " << r.threads << " threads/rank, simd " << r.simd
    << ", " << format_size(r.bytes_per_rank) << "/rank, " << format_size(r.total_bytes) << " total"
    << (r.oversubscribed ? ", OVERSUBSCRIBED" : "") << "\n";
  return o.str();
}

std::string mode_text(const Report& r) {
  if (r.mode == "bench") {
    return "mode      generate into memory, " + r.stores + " stores; first touch " +
           fixed(r.first_touch_seconds, 3) + " s\n";
  }
  return "mode      write to " + r.output.value_or("?") + "\n";
}

std::string summary_text(const Report& r) {
  std::ostringstream o;
  const char* rate = r.mode == "bench" ? "generate" : r.mode.c_str();
  if (r.files_summary) {
    // A dataset's figure with small files is files per second (mdtest's), not GB/s.
    const Statistics& f = *r.files_summary;
    o << rate << " files/s: min " << fixed(f.min, 1) << "  mean " << fixed(f.mean, 1) << "  max "
      << fixed(f.max, 1) << "  stddev " << fixed(f.stddev, 1) << "\n";
  }
  if (!r.iterations.empty() || r.phases.empty()) {
    o << rate << " aggregate GB/s: min " << fixed(r.summary.min, 2) << "  mean "
      << fixed(r.summary.mean, 2) << "  max " << fixed(r.summary.max, 2) << "  stddev "
      << fixed(r.summary.stddev, 2) << "\n";
  }
  if (r.baseline) {
    const Baseline& b = *r.baseline;
    o << "baseline  GB/s: memset " << fixed(b.memset_gbps, 2) << ", streaming fill "
      << fixed(b.streaming_gbps, 2) << " (best of " << b.memset_iterations.size()
      << " each); generate / " << b.kind << " = " << fixed(b.ratio, 3) << "\n";
  }
  return o.str();
}

std::string ranks_text(const Report& r) {
  std::ostringstream o;
  if (r.analyze) {
    o << format("%5s %5s %-16s %5s %7s %9s %10s %10s %s\n", "rank", "local", "host", "numa",
                "threads", "GB/s", "analyze s", "read s", "cpus");
    for (const auto& k : r.per_rank) {
      o << format("%5d %5d %-16s %5d %7d %9.2f %10.4f %10.4f %s\n", k.rank, k.local_rank,
                  k.host.substr(0, 16).c_str(), k.numa_node, k.threads, k.gbps, k.generate_seconds,
                  k.io_seconds, range_list(k.cpus).c_str());
    }
    return o.str();
  }
  if (r.storage) {
    // Which bound the run: a rank's threads' time generating against their time in I/O.
    o << format("%5s %5s %-16s %5s %7s %-10s %9s %10s %10s %s\n", "rank", "local", "host", "numa",
                "threads", "simd", "GB/s", "gen s", "io s", "cpus");
    for (const auto& k : r.per_rank) {
      o << format("%5d %5d %-16s %5d %7d %-10s %9.2f %10.4f %10.4f %s\n", k.rank, k.local_rank,
                  k.host.substr(0, 16).c_str(), k.numa_node, k.threads, k.simd.c_str(), k.gbps,
                  k.generate_seconds, k.io_seconds, range_list(k.cpus).c_str());
    }
    return o.str();
  }
  o << format("%5s %5s %-16s %5s %7s %-9s %-8s %-10s %9s %9s %9s %7s %s\n", "rank", "local", "host",
              "numa", "threads", "mem nodes", "binding", "simd", "GB/s", "memset", "stream",
              "local%", "cpus");
  for (const auto& k : r.per_rank) {
    const std::string local = r.mode == "bench" && k.local_fraction
                                  ? fixed(100.0 * *k.local_fraction, 1)
                                  : std::string(r.mode == "bench" ? "?" : "-");
    o << format("%5d %5d %-16s %5d %7d %-9s %-8s %-10s %9.2f %9s %9s %7s %s\n", k.rank,
                k.local_rank, k.host.substr(0, 16).c_str(), k.numa_node, k.threads,
                comma_list(k.memory_nodes).c_str(), k.binding.c_str(), k.simd.c_str(), k.gbps,
                r.baseline ? fixed(k.memset_gbps, 2).c_str() : "-",
                r.baseline ? fixed(k.streaming_gbps, 2).c_str() : "-", local.c_str(),
                range_list(k.cpus).c_str());
  }
  return o.str();
}

std::string warnings_text(const Report& r) {
  std::string out;
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  return out;
}

Json head_json(const Report& r) {
  Json j;
  j["version"] = r.provenance.dgen_version;
  j["mode"] = r.mode;
  j["complete"] = r.complete;
  j["stop_signal"] = r.stop_signal == 0 ? Json() : Json(r.stop_signal);
  if (r.analyze) {
    j["spec"] = nullptr;  // the data read is not generated
  } else {
    j["spec"] = {{"seed", r.spec.seed},
                 {"dedup_ratio", r.spec.dedup_ratio},
                 {"dedup_unit", r.spec.dedup_unit},
                 {"compress_ratio", r.spec.compress_ratio},
                 {"compress_fill", to_string(r.spec.compress_fill)}};
  }
  j["simd"] = r.simd;
  j["threads"] = r.threads;
  j["ranks"] = r.ranks;
  j["nodes"] = r.nodes;
  j["oversubscribed"] = r.oversubscribed;
  j["bytes_per_rank"] = r.bytes_per_rank;
  j["bytes"] = r.total_bytes;
  j["stores"] = r.stores;
  j["output"] = fields::opt(r.output);
  return j;
}

Json summary_json(const Report& r) {
  return {{"aggregate_gbps", statistics_json(r.summary)},
          {"files_per_second", r.files_summary ? statistics_json(*r.files_summary) : Json()}};
}

Json baseline_json(const Report& r) {
  if (!r.baseline) return nullptr;
  const Baseline& b = *r.baseline;
  return {{"kind", b.kind},
          {"aggregate_gbps", b.aggregate_gbps},
          {"ratio", b.ratio},
          {"memset_gbps", b.memset_gbps},
          {"streaming_gbps", b.streaming_gbps},
          {"memset_iterations", iterations::json(b.memset_iterations, false)},
          {"streaming_iterations", iterations::json(b.streaming_iterations, false)}};
}

Json ranks_json(const Report& r) {
  auto ranks = Json::array();
  // The fields in name order, as docs/output.md lists them.
  for (const RankResult& k : r.per_rank) {
    ranks.push_back({{"baseline_gbps", k.baseline_gbps},
                     {"binding", k.binding},
                     {"bytes", k.bytes},
                     {"cpus", k.cpus},
                     {"first_touch_seconds", k.first_touch_seconds},
                     {"gbps", k.gbps},
                     {"generate_seconds", k.generate_seconds},
                     {"host", k.host},
                     {"io_seconds", k.io_seconds},
                     {"local_fraction", fields::opt(k.local_fraction)},
                     {"local_rank", k.local_rank},
                     {"memory_nodes", k.memory_nodes},
                     {"memset_gbps", k.memset_gbps},
                     {"notice_seconds", k.notice_seconds},
                     {"numa_node", k.numa_node},
                     {"oversubscribed", k.oversubscribed},
                     {"pages_unknown", k.pages_unknown},
                     {"rank", k.rank},
                     {"seconds", k.seconds},
                     {"simd", k.simd},
                     {"streaming_gbps", k.streaming_gbps},
                     {"threads", k.threads},
                     {"wall_bytes", k.wall_bytes},
                     {"wall_moved", k.wall_moved}});
  }
  return ranks;
}

Json provenance_json(const Provenance& p) {
  return {{"command_line", p.command_line},
          {"start_time", p.start_time},
          {"host", p.host},
          {"cpu_model", p.cpu_model},
          {"transparent_hugepages", p.transparent_hugepages},
          {"compiler", p.compiler},
          {"dgen_version", p.dgen_version},
          {"mpi_version", p.mpi_version},
          {"hwloc_version", p.hwloc_version},
          {"job_id", fields::non_empty(p.job_id)},
          {"io_component", fields::non_empty(p.io_component)}};
}

std::string csv_header() {
  return "mode,rank,local_rank,host,numa_node,threads,simd,iteration,bytes,seconds,gbps,"
         "aggregate_gbps,job_seconds,baseline_gbps,local_fraction,complete";
}

std::string csv_cells(const Report& r, const RankResult& k, std::size_t i) {
  std::ostringstream o;
  const std::uint64_t bytes = i < k.bytes.size() ? k.bytes[i] : r.bytes_per_rank;
  const double gbps = k.seconds[i] > 0 ? static_cast<double>(bytes) / k.seconds[i] / 1e9 : 0;
  o << r.mode << ',' << k.rank << ',' << k.local_rank << ',' << k.host << ',' << k.numa_node << ','
    << k.threads << ',' << k.simd << ',' << i + 1 << ',' << bytes << ',' << fixed(k.seconds[i], 6)
    << ',' << fixed(gbps, 3) << ',' << fixed(r.iterations[i].aggregate_gbps, 3) << ','
    << fixed(r.iterations[i].seconds, 6) << ',' << (r.baseline ? fixed(k.baseline_gbps, 3) : "")
    << ',' << (k.local_fraction ? fixed(*k.local_fraction, 4) : "") << ','
    << (r.iterations[i].complete ? "true" : "false");
  return o.str();
}

}  // namespace dgen::report::section::run
