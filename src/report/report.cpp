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

// --duration: an iteration's (or the create phase's) stonewall; null without.
nlohmann::ordered_json stonewall_json(const std::optional<Stonewall>& stonewall) {
  if (!stonewall) return nullptr;
  const Stonewall& w = *stonewall;
  return {{"limit_seconds", w.limit_seconds},
          {"reached", w.reached},
          {"seconds", w.seconds},
          {"moved_min", w.moved_min},
          {"moved_max", w.moved_max},
          {"moved_mean", w.moved_mean},
          {"bytes_min", w.bytes_min},
          {"bytes", w.bytes},
          {"slowest_rank", w.slowest_rank},
          {"gbps", w.gbps},
          {"moved_per_second", w.moved_per_second},
          {"notice_seconds",
           w.reached ? nlohmann::ordered_json(w.notice_seconds) : nlohmann::ordered_json()},
          {"wear_out", w.wear_out},
          {"wear_out_seconds", w.wear_out_seconds},
          {"file_system_full", w.file_system_full}};
}

nlohmann::ordered_json iterations_json(const std::vector<IterationResult>& its, bool storage) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& it : its) {
    nlohmann::ordered_json j = {{"seconds", it.seconds},
                                {"bytes", it.bytes},
                                {"complete", it.complete},
                                {"aggregate_gbps", it.aggregate_gbps},
                                {"rank_min_gbps", it.rank_min_gbps},
                                {"rank_mean_gbps", it.rank_mean_gbps},
                                {"rank_max_gbps", it.rank_max_gbps}};
    if (storage) {
      j["open_seconds"] = it.open_seconds;
      j["io_seconds"] = it.io_seconds;
      j["flush_seconds"] = it.flush_seconds;
      j["close_seconds"] = it.close_seconds;
      j["generate_seconds"] = it.generate_seconds;
      j["unflushed_gbps"] = it.unflushed_gbps;
      j["files"] = it.files;
      j["files_per_second"] = it.files_per_second;
      j["stonewall"] = stonewall_json(it.stonewall);
    }
    out.push_back(j);
  }
  return out;
}

std::string hex_byte(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

// "holds zeros", "holds bytes of stream offset 123", ...
std::string holds_text(const VerifyMismatch& m) {
  if (m.holds == "stream" && m.stream_offset)
    return "holds the stream's bytes from offset " + std::to_string(*m.stream_offset);
  if (m.holds == "constant" && m.constant) return "holds the byte " + hex_byte(*m.constant);
  if (m.holds == "zeros") return "holds zeros";
  if (m.holds == "missing")
    return "missing: the file does not exist (" + std::to_string(m.length) +
           " bytes of the stream from offset " + std::to_string(m.offset) + ")";
  if (m.holds == "truncated")
    return "missing: the file ends at " + std::to_string(m.file_offset) + ", " +
           std::to_string(m.length) + " bytes short (stream offsets " + std::to_string(m.offset) +
           " to " + std::to_string(m.offset + m.length) + ")";
  if (m.holds == "beyond the stream")
    return "the file is longer than the stream: " + std::to_string(m.length) +
           " bytes beyond its end";
  return "holds foreign bytes (first " + hex_byte(m.found) + ", expected " + hex_byte(m.expected) +
         ")";
}

std::string verify_text(const Verify& v) {
  std::ostringstream o;
  o << "verify    " << v.bytes << " bytes compared at " << fixed(v.gbps, 2) << " GB/s (compare "
    << fixed(v.compare_seconds, 3) << " s): "
    << (v.mismatched_bytes == 0
            ? std::string("every byte matches")
            : std::to_string(v.mismatched_bytes) + " bytes wrong in " +
                  std::to_string(v.mismatched_blocks) + " blocks of 4 KiB" +
                  (v.missing_bytes > 0 ? ", " + std::to_string(v.missing_bytes) +
                                             " of them missing (files missing or short)"
                                       : std::string()))
    << "\n";
  for (const auto& m : v.mismatches) {
    o << "  offset " << m.offset << " (+" << m.length << " bytes), " << m.file << " at "
      << m.file_offset << ": " << holds_text(m) << "\n";
  }
  if (!v.diagnosis.empty()) o << "  " << v.diagnosis << "\n";
  return o.str();
}

std::string storage_line(const Report& r) {
  const Storage& s = *r.storage;
  std::string line = std::string(r.mode == "read" ? "read " : "write ") + s.path + " (" + s.layout;
  if (s.layout == "dataset") {
    line += ", " + std::to_string(s.files) + " files of " + format_size(s.file_size) + ", " +
            std::to_string(s.files_per_dir) + " per directory";
  } else if (s.layout == "file-per-rank") {
    line += ", " + std::to_string(s.files) + " files";
  }
  line += ")\nio        " + s.io;
  if (s.iodepth > 1) line += " iodepth " + std::to_string(s.iodepth);
  if (s.collective) line += *s.collective ? " collective" : " independent";
  line += " (" + r.provenance.io_component + "), transfer " + format_size(s.transfer);
  if (s.direct) line += ", O_DIRECT";
  if (r.mode == "write") line += s.fsync ? ", fsync on" : ", fsync off";
  if (s.in_place) line += ", in place";
  if (s.reorder) line += ", reordered";
  if (s.resume) line += ", resumed";
  if (s.verify) line += ", verified";
  // The order and bounds of the transfers: a random or time-bounded run reads as one.
  line += "\naccess    " + s.pattern;
  if (s.order_seed) line += ", order seed " + std::to_string(*s.order_seed);
  if (s.segments && s.block) {
    line +=
        ", " + std::to_string(*s.segments) + " segments of " + format_size(*s.block) + " per rank";
  }
  if (s.unique_dir) line += ", a directory per rank";
  if (s.duration) line += ", time limit " + format_number(*s.duration) + " s";
  if (s.wear_out) line += " with wear-out";
  if (!s.phases.empty()) {
    line += ", phases ";
    for (std::size_t i = 0; i < s.phases.size(); ++i) line += (i ? "," : "") + s.phases[i];
  }
  return line;
}

// printf into a std::string of any length (a row with a long cpu list must not be cut).
template <class... Args>
std::string format(const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string out(static_cast<std::size_t>(std::max(n, 0)), '\0');
  std::snprintf(out.data(), out.size() + 1, fmt, args...);
  return out;
}

bool is_dataset(const Report& r) { return r.storage && r.storage->layout == "dataset"; }

// IOR's stonewalling line: the wall, what the ranks had moved, the rate over the measured time
// (files/s for a dataset); or, when every rank finished first, that the wall was not reached.
std::string stonewall_text(const Report& r, const Stonewall& w) {
  const bool files = is_dataset(r);
  const char* what = files ? "files" : "transfers";
  const std::string rate =
      fixed(w.gbps, 2) + " GB/s, " + fixed(w.moved_per_second, files ? 1 : 2) + " " + what + "/s";
  const std::string moved =
      format("%llu to %llu (mean %.1f) %s per rank", static_cast<unsigned long long>(w.moved_min),
             static_cast<unsigned long long>(w.moved_max), w.moved_mean, what);
  if (!w.reached && w.file_system_full) {
    return format(
        "      stonewall not reached: stopped: file system full (ENOSPC) before the wall (the "
        "%.3f s limit), the last rank at %.4f s; %s; %s over the measured %.4f s\n",
        w.limit_seconds, w.seconds, moved.c_str(), rate.c_str(), w.seconds);
  }
  if (!w.reached) {
    return format(
        "      stonewall not reached: every rank finished before the %.3f s limit, the last at "
        "%.4f s; %s; %s over the measured %.4f s\n",
        w.limit_seconds, w.seconds, moved.c_str(), rate.c_str(), w.seconds);
  }
  return format(
      "      stonewall %.3f s limit reached, ranks stopped by %.4f s: %s, slowest rank %d with %s; "
      "stonewalled %s; stopped within %.4f s of the wall%s\n",
      w.limit_seconds, w.seconds, moved.c_str(), w.slowest_rank, format_size(w.bytes_min).c_str(),
      rate.c_str(), w.notice_seconds,
      w.wear_out
          ? format(", then wore out to the largest count in %.4f s", w.wear_out_seconds).c_str()
          : "");
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

std::string ratio_text(const std::optional<Range>& r) { return r ? fixed(r->value, 2) : "-"; }

std::string interval_text(const Range& r, int decimals) {
  return fixed(r.low, decimals) + ".." + fixed(r.high, decimals);
}

// An optional figure: its value, or null.
template <class T>
nlohmann::ordered_json opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
}

nlohmann::ordered_json nullable(const std::optional<Range>& r) {
  return r ? nlohmann::ordered_json(r->value) : nlohmann::ordered_json();
}

nlohmann::ordered_json interval_json(const std::optional<Range>& r) {
  if (!r) return nullptr;
  return nlohmann::ordered_json::array({r->low, r->high});
}

nlohmann::ordered_json compress_json(const CompressRatios& c) {
  return {{"zstd", nullable(c.zstd)}, {"lz4", nullable(c.lz4)}, {"zlib", nullable(c.zlib)}};
}

// A unit size's compression interval when its units repeat: copies are sampled together (by
// fingerprint), but the interval takes each unit as a draw of its own.
std::string unit_interval_caveat(double dedup) {
  return "units repeat (dedup " + fixed(dedup, 2) +
         "): copies are sampled together, this interval takes each as its own draw and may be "
         "too narrow";
}

// The intervals (null when exact) and the sample the ratios come from.
nlohmann::ordered_json sample_json(const CompressRatios& c, bool exact) {
  return {
      {"blocks", c.blocks},
      {"distinct_blocks",
       c.groups > 0 ? nlohmann::ordered_json(c.groups) : nlohmann::ordered_json()},
      {"bytes", c.bytes},
      {"compressed_bytes", {{"zstd", c.zstd_bytes}, {"lz4", c.lz4_bytes}, {"zlib", c.zlib_bytes}}},
      {"interval", exact ? nlohmann::ordered_json()
                         : nlohmann::ordered_json{{"zstd", interval_json(c.zstd)},
                                                  {"lz4", interval_json(c.lz4)},
                                                  {"zlib", interval_json(c.zlib)}}}};
}

// A CSV field: quoted (RFC 4180) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string paths_text(const std::vector<std::string>& paths) {
  std::string s;
  for (const auto& p : paths) s += (s.empty() ? "" : " ") + p;
  return s;
}

std::string analyze_text(const Report& r) {
  const Analyze& a = *r.analyze;
  std::ostringstream o;
  o << "mode      analyze " << paths_text(a.paths) << " (" << a.files
    << (a.files == 1 ? " file, " : " files, ") << format_size(a.bytes) << ", " << a.bytes
    << " bytes";
  if (a.hole_bytes > 0) o << ", " << format_size(a.hole_bytes) << " of it in holes, not read";
  if (a.skipped > 0) o << "; " << a.skipped << " links or special files skipped";
  o << ")\n";
  if (a.same_file_skipped > 0) {
    o << "same file " << a.same_file_skipped
      << (a.same_file_skipped == 1 ? " path names" : " paths name")
      << " a file already read (the same device and inode: named twice, inside a directory "
         "also named, a hard link), skipped\n";
  }
  if (a.unreadable > 0) {
    o << "UNREADABLE " << a.unreadable << (a.unreadable == 1 ? " path" : " paths")
      << " skipped (exit code " << a.unreadable_exit_code
      << "); the figures are of what could be read";
    if (a.unreadable_first.size() < a.unreadable) o << "; the first:";
    o << "\n";
    for (const auto& u : a.unreadable_first) o << "  " << u.path << ": " << u.error << "\n";
  }
  o << "analysis  " << a.units.size() << " unit sizes, chunks of " << format_size(a.chunk) << "; "
    << (a.sample >= 1 ? std::string("every unit and chunk compressed")
        : a.sample <= 0
            ? std::string("nothing compressed (--sample 0)")
            : format_number(100 * a.sample) + "% of units and chunks compressed (by fingerprint)")
    << "\n";
  o << "memory    " << format_size(a.memory_per_rank) << " per rank for fingerprints and buffers, "
    << format_size(a.memory_budget) << " allowed; "
    << (a.keep >= 1 ? std::string("every fingerprint counted")
                    : "ESTIMATED: " + format_number(100 * a.keep) +
                          "% of fingerprints counted (below a hash threshold), scaled up")
    << "\n";
  o << "time      " << fixed(a.seconds, 3) << " s, " << fixed(a.gbps, 2)
    << " GB/s; slowest rank: read " << fixed(a.read_seconds, 3) << " s, hash "
    << fixed(a.hash_seconds, 3) << " s, compress " << fixed(a.compress_seconds, 3)
    << " s, exchange " << fixed(a.exchange_seconds, 3) << " s, count " << fixed(a.count_seconds, 3)
    << " s\n";
  if (a.compress_seconds > 0) {
    o << "compress  zstd " << fixed(a.zstd_seconds, 3) << " s, lz4 " << fixed(a.lz4_seconds, 3)
      << " s, zlib " << fixed(a.zlib_seconds, 3) << " s (slowest rank, thread mean)\n";
  }
  o << "\n";
  if (a.bytes == 0) {
    // No ratio of nothing: dedup and compression are undefined, not 0 or 1.
    o << "no data: " << a.files << (a.files == 1 ? " file, " : " files, ") << "0 bytes\n";
    return o.str();
  }
  o << format("%9s %13s %13s %8s %11s %7s %7s %7s %14s %10s\n", "unit", "units", "distinct",
              "dedup", "zero units", "zstd", "lz4", "zlib", "stored bytes", "dedup+zstd");
  for (const auto& u : a.units) {
    o << format(
        "%9s %13llu %13.0f %8.3f %11llu %7s %7s %7s %14s %10s\n", format_size(u.unit).c_str(),
        static_cast<unsigned long long>(u.units), u.distinct.value, u.dedup_ratio.value_or(0),
        static_cast<unsigned long long>(u.zero_units), ratio_text(u.compress.zstd).c_str(),
        ratio_text(u.compress.lz4).c_str(), ratio_text(u.compress.zlib).c_str(),
        u.stored_bytes ? format_size(static_cast<std::uint64_t>(u.stored_bytes->value)).c_str()
                       : "-",
        u.combined_ratio ? fixed(*u.combined_ratio, 3).c_str() : "-");
  }
  o << format("%9s %13llu %13s %8s %11s %7s %7s %7s\n", ("chunk " + format_size(a.chunk)).c_str(),
              static_cast<unsigned long long>(a.chunks), "", "", "",
              ratio_text(a.chunk_compress.zstd).c_str(), ratio_text(a.chunk_compress.lz4).c_str(),
              ratio_text(a.chunk_compress.zlib).c_str());
  o << "units start at each file's start; a file's partial last unit counts as one unit; a block "
       "that does not shrink counts at its size\n";
  if (a.keep < 1 || (a.sample > 0 && a.sample < 1)) {
    o << "intervals (3 standard errors):\n";
    for (const auto& u : a.units) {
      std::vector<std::string> parts;
      if (a.keep < 1) parts.push_back("distinct " + interval_text(u.distinct, 0));
      if (u.stored_bytes && !(u.stored_bytes->low == u.stored_bytes->high))
        parts.push_back("stored bytes " + interval_text(*u.stored_bytes, 0));
      if (a.sample < 1 && u.compress.zstd) {
        parts.push_back("zstd " + interval_text(*u.compress.zstd, 2));
        if (u.compress.lz4) parts.push_back("lz4 " + interval_text(*u.compress.lz4, 2));
        if (u.compress.zlib) parts.push_back("zlib " + interval_text(*u.compress.zlib, 2));
      }
      std::string line;
      for (const auto& p : parts) line += (line.empty() ? "" : ", ") + p;
      if (a.sample < 1 && u.compress.zstd && u.dedup_ratio && *u.dedup_ratio > 1.0001)
        line += " (" + unit_interval_caveat(*u.dedup_ratio) + ")";
      o << "  " << format_size(u.unit) << ": " << line << "\n";
    }
    if (a.sample > 0 && a.sample < 1 && a.chunk_compress.zstd) {
      o << "  chunks: zstd " << interval_text(*a.chunk_compress.zstd, 2);
      if (a.chunk_compress.lz4) o << ", lz4 " << interval_text(*a.chunk_compress.lz4, 2);
      if (a.chunk_compress.zlib) o << ", zlib " << interval_text(*a.chunk_compress.zlib, 2);
      if (a.chunk_compress.groups > 0 && a.chunk_compress.groups < a.chunk_compress.sampled) {
        o << " (" << a.chunk_compress.sampled << " chunks sampled, " << a.chunk_compress.groups
          << " distinct: each distinct chunk's copies are one draw)";
      }
      o << "\n";
    }
  }
  o << "fingerprints: " << a.hash
    << "; P(any two different units share one) <= " << a.collision_bound << "\n";
  return o.str();
}

// Seconds to whole nanoseconds for JSON and CSV (fio's clat_ns): a bucket edge is 1 us * 1.01^i,
// whose neighbours differ by 10 ns and more, so rounding keeps them apart.
long long to_ns(double seconds) { return std::llround(seconds * 1e9); }

// The mean in nanoseconds: from the whole-nanosecond sum where the summary has it (a Latency
// built by hand may give only the mean in seconds).
double mean_ns(const Latency& l) { return l.mean_ns > 0 || l.mean == 0 ? l.mean_ns : l.mean * 1e9; }

// "p50", "p99.9", "p99.99": a percentile's column.
std::string percent_label(double p) { return format("p%g", p); }

// The latency block of the table, in microseconds.
std::string latency_text(const std::vector<Latency>& latency) {
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

nlohmann::ordered_json latency_json(const std::vector<Latency>& latency) {
  if (latency.empty()) return nullptr;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& l : latency) {
    nlohmann::ordered_json percentiles = nlohmann::ordered_json::object();
    for (const auto& [p, v] : l.percentiles) percentiles[fixed(p, 6)] = to_ns(v);
    auto buckets = nlohmann::ordered_json::array();
    for (const auto& [edge, count] : l.histogram)
      buckets.push_back(nlohmann::ordered_json::array({to_ns(edge), count}));
    out[l.op] = {
        {"phase", l.phase.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(l.phase)},
        {"count", l.count},
        {"min_ns", to_ns(l.min)},
        {"mean_ns", mean_ns(l)},
        {"max_ns", to_ns(l.max)},
        {"percentiles_ns", percentiles},
        {"histogram", buckets}};
  }
  return out;
}

// The CSV's latency section: an empty line, its header, a row per operation.
std::string latency_csv(const std::vector<Latency>& latency) {
  if (latency.empty()) return "";
  std::ostringstream o;
  o << "\nkind,op,count,min_ns,mean_ns,max_ns";
  for (const auto& [p, _] : latency.front().percentiles) o << ',' << percent_label(p) << "_ns";
  o << "\n";
  for (const auto& l : latency) {
    o << "latency," << csv_field(l.op) << ',' << l.count << ',' << to_ns(l.min) << ','
      << fixed(mean_ns(l), 1) << ',' << to_ns(l.max);
    for (const auto& [_, v] : l.percentiles) o << ',' << to_ns(v);
    o << "\n";
  }
  return o.str();
}

nlohmann::ordered_json timeline_json(const std::optional<Timelines>& t) {
  if (!t) return nullptr;
  auto ranks = nlohmann::ordered_json::array();
  for (const auto& row : t->ranks) ranks.push_back(row);
  return {{"interval_seconds", t->interval_seconds}, {"ranks", ranks}};
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
  o << "  " << completeness(r) << "\n";
  if (!r.analyze) o << "data      " << spec_line(r.spec) << "\n";
  o << "job       " << r.ranks << (r.ranks == 1 ? " rank" : " ranks") << " on " << r.nodes
    << (r.nodes == 1 ? " node" : " nodes") << ", " << r.threads << " threads/rank, simd " << r.simd
    << ", " << format_size(r.bytes_per_rank) << "/rank, " << format_size(r.total_bytes) << " total"
    << (r.oversubscribed ? ", OVERSUBSCRIBED" : "") << "\n";
  if (r.analyze) {
    o << analyze_text(r) << "\n";
    o << format("%5s %5s %-16s %5s %7s %9s %10s %10s %s\n", "rank", "local", "host", "numa",
                "threads", "GB/s", "analyze s", "read s", "cpus");
    for (const auto& k : r.per_rank) {
      o << format("%5d %5d %-16s %5d %7d %9.2f %10.4f %10.4f %s\n", k.rank, k.local_rank,
                  k.host.substr(0, 16).c_str(), k.numa_node, k.threads, k.gbps, k.generate_seconds,
                  k.io_seconds, range_list(k.cpus).c_str());
    }
    o << latency_text(r.latency);
    for (const auto& w : r.warnings) o << "warning: " << w << "\n";
    return o.str();
  }
  if (r.mode == "bench") {
    o << "mode      generate into memory, " << r.stores << " stores; first touch "
      << fixed(r.first_touch_seconds, 3) << " s\n";
  } else if (r.storage) {
    o << "mode      " << storage_line(r) << "\n";
  } else {
    o << "mode      write to " << r.output.value_or("?") << "\n";
  }
  o << "\n";
  const char* rate = r.mode == "bench" ? "generate" : r.mode.c_str();
  if (r.storage) {
    // IOR's columns: the slowest rank's open, transfer, flush and close times.
    o << format("%5s %11s %16s %14s %14s %9s %9s %9s %9s %9s %8s %10s\n", "iter", "seconds",
                "aggregate GB/s", "no-flush GB/s", "rank min GB/s", "open s", "io s", "flush s",
                "close s", "gen s", "files", "files/s");
  } else {
    o << format("%5s %11s %16s %14s %14s %14s\n", "iter", "seconds", "aggregate GB/s",
                "rank min GB/s", "rank mean GB/s", "rank max GB/s");
  }
  for (std::size_t i = 0; i < r.iterations.size(); ++i) {
    const auto& it = r.iterations[i];
    const std::string cut =
        it.complete ? "" : " (cut short: " + std::to_string(it.bytes) + " bytes)";
    if (r.storage) {
      o << format("%5zu %11.4f %16.2f %14.2f %14.2f %9.4f %9.4f %9.4f %9.4f %9.4f %8llu %10.1f%s\n",
                  i + 1, it.seconds, it.aggregate_gbps, it.unflushed_gbps, it.rank_min_gbps,
                  it.open_seconds, it.io_seconds, it.flush_seconds, it.close_seconds,
                  it.generate_seconds, static_cast<unsigned long long>(it.files),
                  it.files_per_second, cut.c_str());
    } else {
      o << format("%5zu %11.4f %16.2f %14.2f %14.2f %14.2f%s\n", i + 1, it.seconds,
                  it.aggregate_gbps, it.rank_min_gbps, it.rank_mean_gbps, it.rank_max_gbps,
                  cut.c_str());
    }
    if (it.stonewall) o << stonewall_text(r, *it.stonewall);
  }
  if (!r.phases.empty()) {
    // mdtest's summary: files per second of each phase over the job.
    o << "\n" << format("%-10s %12s %11s %14s\n", "phase", "files", "seconds", "files/s");
    for (const Phase& p : r.phases) {
      o << format("%-10s %12llu %11.4f %14.1f\n", p.name.c_str(),
                  static_cast<unsigned long long>(p.result.files), p.result.seconds,
                  p.result.files_per_second);
    }
  }
  o << "\n";
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
  o << "\n";
  if (r.storage) {
    // Which bound the run: a rank's threads' time generating against their time in I/O.
    o << format("%5s %5s %-16s %5s %7s %-10s %9s %10s %10s %s\n", "rank", "local", "host", "numa",
                "threads", "simd", "GB/s", "gen s", "io s", "cpus");
    for (const auto& k : r.per_rank) {
      o << format("%5d %5d %-16s %5d %7d %-10s %9.2f %10.4f %10.4f %s\n", k.rank, k.local_rank,
                  k.host.substr(0, 16).c_str(), k.numa_node, k.threads, k.simd.c_str(), k.gbps,
                  k.generate_seconds, k.io_seconds, range_list(k.cpus).c_str());
    }
    if (r.verify) o << "\n" << verify_text(*r.verify);
    // A time-bounded write leaves files cut at the wall: what each holds (an interrupted run
    // says it on its first line).
    const bool time_bounded =
        std::any_of(r.iterations.begin(), r.iterations.end(),
                    [](const IterationResult& it) { return it.stonewall.has_value(); });
    if (r.complete && r.output_state && time_bounded && r.mode == "write")
      o << "output    " << r.output_state->text << "\n";
    if (r.resume) {
      o << "resume    "
        << (r.resume->from.empty() ? "nothing to continue: written afresh"
                                   : "continued " + r.resume->from)
        << "; " << r.resume->reused_bytes << " bytes found right and kept, "
        << r.resume->written_bytes << " written";
      if (r.resume->reused_files > 0) o << "; " << r.resume->reused_files << " whole files kept";
      if (r.resume->removed_partials > 0)
        o << "; " << r.resume->removed_partials << " partial files of the earlier run removed";
      o << "\n";
    }
    o << latency_text(r.latency);
    for (const auto& w : r.warnings) o << "warning: " << w << "\n";
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
  o << latency_text(r.latency);
  for (const auto& w : r.warnings) o << "warning: " << w << "\n";
  return o.str();
}

nlohmann::ordered_json to_json(const Report& r) {
  const Provenance& p = r.provenance;
  nlohmann::ordered_json j;
  j["version"] = p.dgen_version;
  j["mode"] = r.mode;
  j["complete"] = r.complete;
  j["stop_signal"] =
      r.stop_signal == 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(r.stop_signal);
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
  j["output"] = r.output ? nlohmann::ordered_json(*r.output) : nlohmann::ordered_json();
  if (r.storage) {
    const Storage& st = *r.storage;
    j["storage"] = {{"path", st.path},
                    {"layout", st.layout},
                    {"files", st.files},
                    {"file_size", st.file_size},
                    {"files_per_dir", st.files_per_dir},
                    {"io", st.io},
                    {"collective", st.collective ? nlohmann::ordered_json(*st.collective)
                                                 : nlohmann::ordered_json()},
                    {"transfer", st.transfer},
                    {"direct", st.direct},
                    {"fsync", st.fsync},
                    {"in_place", st.in_place},
                    {"iodepth", st.iodepth},
                    {"reorder", st.reorder},
                    {"pattern", st.pattern},
                    {"order_seed", opt(st.order_seed)},
                    {"segments", opt(st.segments)},
                    {"block", opt(st.block)},
                    {"duration", opt(st.duration)},
                    {"wear_out", st.wear_out},
                    {"unique_dir", st.unique_dir},
                    {"verify", st.verify},
                    {"resume", st.resume},
                    {"phases", st.phases.empty() ? nlohmann::ordered_json()
                                                 : nlohmann::ordered_json(st.phases)}};
  } else {
    j["storage"] = nullptr;
  }
  if (r.verify) {
    const Verify& v = *r.verify;
    auto list = nlohmann::ordered_json::array();
    for (const auto& m : v.mismatches) {
      nlohmann::ordered_json x = {{"offset", m.offset},
                                  {"length", m.length},
                                  {"file", m.file},
                                  {"file_offset", m.file_offset},
                                  {"holds", m.holds}};
      x["expected"] =
          m.expected >= 0 ? nlohmann::ordered_json(m.expected) : nlohmann::ordered_json();
      x["found"] = m.found >= 0 ? nlohmann::ordered_json(m.found) : nlohmann::ordered_json();
      x["stream_offset"] =
          m.stream_offset ? nlohmann::ordered_json(*m.stream_offset) : nlohmann::ordered_json();
      x["constant"] = m.constant ? nlohmann::ordered_json(*m.constant) : nlohmann::ordered_json();
      list.push_back(x);
    }
    j["verify"] = {{"bytes", v.bytes},
                   {"seconds", v.seconds},
                   {"gbps", v.gbps},
                   {"compare_seconds", v.compare_seconds},
                   {"mismatched_bytes", v.mismatched_bytes},
                   {"mismatched_blocks", v.mismatched_blocks},
                   {"missing_bytes", v.missing_bytes},
                   {"mismatches", list}};
    j["verify"]["other_options"] = v.other_options.empty()
                                       ? nlohmann::ordered_json()
                                       : nlohmann::ordered_json(v.other_options);
    j["verify"]["diagnosis"] =
        v.diagnosis.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(v.diagnosis);
  } else {
    j["verify"] = nullptr;
  }
  if (r.analyze) {
    const Analyze& a = *r.analyze;
    nlohmann::ordered_json units = nlohmann::ordered_json::object();
    for (const auto& u : a.units) {
      const bool exact_count = a.keep >= 1;
      units[std::to_string(u.unit)] = {
          {"units", u.units},
          {"bytes", u.bytes},
          {"distinct", static_cast<std::uint64_t>(std::llround(u.distinct.value))},
          {"distinct_interval",
           exact_count ? nlohmann::ordered_json()
                       : nlohmann::ordered_json::array({u.distinct.low, u.distinct.high})},
          {"dedup_ratio",
           u.dedup_ratio ? nlohmann::ordered_json(*u.dedup_ratio) : nlohmann::ordered_json()},
          {"zero_units", u.zero_units},
          {"compress", compress_json(u.compress)},
          {"compressed", sample_json(u.compress, a.sample >= 1)},
          {"stored_bytes", u.stored_bytes ? nlohmann::ordered_json(static_cast<std::uint64_t>(
                                                std::llround(u.stored_bytes->value)))
                                          : nlohmann::ordered_json()},
          {"stored_bytes_interval", u.stored_bytes && u.stored_bytes->low != u.stored_bytes->high
                                        ? interval_json(u.stored_bytes)
                                        : nlohmann::ordered_json()},
          {"combined_ratio",
           u.combined_ratio ? nlohmann::ordered_json(*u.combined_ratio) : nlohmann::ordered_json()},
          {"estimated", !exact_count}};
      // The interval's assumption fails where units repeat (copies are sampled together).
      units[std::to_string(u.unit)]["compressed"]["interval_note"] =
          a.sample > 0 && a.sample < 1 && u.compress.zstd && u.dedup_ratio &&
                  *u.dedup_ratio > 1.0001
              ? nlohmann::ordered_json(unit_interval_caveat(*u.dedup_ratio))
              : nlohmann::ordered_json();
    }
    nlohmann::ordered_json chunks = {{"size", a.chunk}, {"count", a.chunks}};
    const nlohmann::ordered_json chunk_ratios = compress_json(a.chunk_compress);
    for (const auto& [k, v] : chunk_ratios.items()) chunks[k] = v;
    chunks["compressed"] = sample_json(a.chunk_compress, a.sample >= 1);
    auto unreadable_paths = nlohmann::ordered_json::array();
    for (const auto& u : a.unreadable_first) {
      unreadable_paths.push_back(
          {{"path", u.path},
           {"error", u.error},
           {"offset", u.offset ? nlohmann::ordered_json(*u.offset) : nlohmann::ordered_json()}});
    }
    j["analyze"] = {{"paths", a.paths},
                    {"files", a.files},
                    {"skipped", a.skipped},
                    {"same_file_skipped", a.same_file_skipped},
                    {"unreadable",
                     {{"count", a.unreadable},
                      {"exit_code", a.unreadable_exit_code},
                      {"first", unreadable_paths}}},
                    {"bytes", a.bytes},
                    {"hole_bytes", a.hole_bytes},
                    {"units", units},
                    {"chunks", chunks},
                    {"sample", a.sample},
                    {"keep", a.keep},
                    {"estimated", a.keep < 1},
                    {"memory", {{"per_rank", a.memory_per_rank}, {"budget", a.memory_budget}}},
                    {"collision_bound", a.collision_bound},
                    {"hash", a.hash},
                    {"seconds", a.seconds},
                    {"gbps", a.gbps},
                    {"read_seconds", a.read_seconds},
                    {"hash_seconds", a.hash_seconds},
                    {"compress_seconds", a.compress_seconds},
                    {"exchange_seconds", a.exchange_seconds},
                    {"count_seconds", a.count_seconds},
                    {"compressor_seconds",
                     {{"zstd", a.zstd_seconds}, {"lz4", a.lz4_seconds}, {"zlib", a.zlib_seconds}}}};
  } else {
    j["analyze"] = nullptr;
  }
  j["bytes_kept"] = r.bytes_kept ? nlohmann::ordered_json(*r.bytes_kept) : nlohmann::ordered_json();
  if (r.output_state) {
    const OutputState& o = *r.output_state;
    j["output_state"] = {{"state", o.state}, {"path", o.path}, {"bytes", o.bytes}};
    j["output_state"]["iteration"] =
        o.iteration ? nlohmann::ordered_json(*o.iteration) : nlohmann::ordered_json();
    j["output_state"]["files"] =
        o.files ? nlohmann::ordered_json(*o.files) : nlohmann::ordered_json();
    if (o.file_lengths.empty()) {
      j["output_state"]["file_lengths"] = nullptr;
    } else {
      auto& lengths = j["output_state"]["file_lengths"] = nlohmann::ordered_json::array();
      for (const FileLength& f : o.file_lengths)
        lengths.push_back({{"path", f.path}, {"length", f.length}, {"holds", f.holds}});
    }
    j["output_state"]["text"] = o.text;
  } else {
    j["output_state"] = nullptr;
  }
  if (r.resume) {
    const Resume& x = *r.resume;
    j["resume"] = {
        {"from", x.from.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(x.from)},
        {"reused_bytes", x.reused_bytes},
        {"written_bytes", x.written_bytes},
        {"reused_files", x.reused_files},
        {"removed_partials", x.removed_partials}};
  } else {
    j["resume"] = nullptr;
  }
  j["first_touch_seconds"] = r.first_touch_seconds;
  j["iterations"] = iterations_json(r.iterations, r.storage.has_value());
  if (!r.phases.empty()) {
    auto phases = nlohmann::ordered_json::array();
    for (const Phase& p : r.phases) {
      phases.push_back({{"name", p.name},
                        {"files", p.result.files},
                        {"seconds", p.result.seconds},
                        {"files_per_second", p.result.files_per_second},
                        {"bytes", p.result.bytes},
                        {"aggregate_gbps", p.result.aggregate_gbps},
                        {"stonewall", stonewall_json(p.result.stonewall)}});
    }
    j["phases"] = phases;
  } else {
    j["phases"] = nullptr;
  }
  j["summary"] = {{"aggregate_gbps",
                   {{"min", r.summary.min},
                    {"mean", r.summary.mean},
                    {"max", r.summary.max},
                    {"stddev", r.summary.stddev}}}};
  if (r.files_summary) {
    const Statistics& f = *r.files_summary;
    j["summary"]["files_per_second"] = {
        {"min", f.min}, {"mean", f.mean}, {"max", f.max}, {"stddev", f.stddev}};
  } else {
    j["summary"]["files_per_second"] = nullptr;
  }
  if (r.baseline) {
    const Baseline& b = *r.baseline;
    j["baseline"] = {{"kind", b.kind},
                     {"aggregate_gbps", b.aggregate_gbps},
                     {"ratio", b.ratio},
                     {"memset_gbps", b.memset_gbps},
                     {"streaming_gbps", b.streaming_gbps},
                     {"memset_iterations", iterations_json(b.memset_iterations, false)},
                     {"streaming_iterations", iterations_json(b.streaming_iterations, false)}};
  } else {
    j["baseline"] = nullptr;
  }
  auto ranks = nlohmann::ordered_json::array();
  for (const auto& k : r.per_rank)
    ranks.push_back(nlohmann::ordered_json::parse(nlohmann::json(k).dump()));
  j["per_rank"] = ranks;
  j["latency"] = latency_json(r.latency);
  j["timeline"] = timeline_json(r.timeline);
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
      {"job_id", p.job_id.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(p.job_id)},
      {"io_component",
       p.io_component.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(p.io_component)}};
  return j;
}

namespace {

// The run's storage parameters, as CSV columns (the same on every row): each changes a figure.
constexpr const char* kStorageColumns =
    "layout,files_per_dir,unique_dir,io,iodepth,collective,transfer,direct,fsync,in_place,"
    "reorder,resume,verify,pattern,order_seed,segments,block,duration_seconds,wear_out,phases";

std::string storage_csv(const Storage& s) {
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  auto num = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : ""; };
  std::string phases;
  for (std::size_t i = 0; i < s.phases.size(); ++i) phases += (i ? " " : "") + s.phases[i];
  return s.layout + ',' + std::to_string(s.files_per_dir) + ',' + flag(s.unique_dir) + ',' +
         csv_field(s.io) + ',' + std::to_string(s.iodepth) + ',' +
         (s.collective ? flag(*s.collective) : "") + ',' + std::to_string(s.transfer) + ',' +
         flag(s.direct) + ',' + flag(s.fsync) + ',' + flag(s.in_place) + ',' + flag(s.reorder) +
         ',' + flag(s.resume) + ',' + flag(s.verify) + ',' + s.pattern + ',' + num(s.order_seed) +
         ',' + num(s.segments) + ',' + num(s.block) + ',' +
         (s.duration ? fixed(*s.duration, 6) : "") + ',' + flag(s.wear_out) + ',' + phases;
}

// An iteration's stonewall columns (empty without --duration).
std::string stonewall_csv(const std::optional<Stonewall>& w) {
  if (!w) return ",,,,";
  return fixed(w->limit_seconds, 6) + ',' + (w->reached ? "true" : "false") + ',' +
         fixed(w->seconds, 6) + ',' + fixed(w->gbps, 6) + ',' + fixed(w->moved_per_second, 3);
}

// The CSV's phase section (--phases): an empty line, its header, a row per phase.
std::string phases_csv(const std::vector<Phase>& phases) {
  if (phases.empty()) return "";
  std::ostringstream o;
  o << "\nkind,phase,files,seconds,files_per_second,bytes,aggregate_gbps,complete\n";
  for (const Phase& p : phases) {
    o << "phase," << p.name << ',' << p.result.files << ',' << fixed(p.result.seconds, 6) << ','
      << fixed(p.result.files_per_second, 3) << ',' << p.result.bytes << ','
      << fixed(p.result.aggregate_gbps, 6) << ',' << (p.result.complete ? "true" : "false") << "\n";
  }
  return o.str();
}

// The CSV's first section: a row per iteration and rank (per unit size with --analyze).
std::string main_csv(const Report& r) {
  std::ostringstream o;
  if (r.analyze) {
    // One row per unit size and one for the chunks; intervals empty when exact.
    const Analyze& a = *r.analyze;
    o << "mode,kind,size,units,bytes,distinct,distinct_low,distinct_high,dedup_ratio,zero_units,"
         "zstd,lz4,zlib,stored_bytes,stored_low,stored_high,combined_ratio,sample,keep,seconds,"
         "gbps,same_file_skipped,unreadable,hole_bytes,path,error\n";
    auto ratio = [](const std::optional<Range>& x) { return x ? fixed(x->value, 6) : ""; };
    auto common = [&] {
      return fixed(a.sample, 6) + ',' + fixed(a.keep, 6) + ',' + fixed(a.seconds, 6) + ',' +
             fixed(a.gbps, 3) + ',' + std::to_string(a.same_file_skipped) + ',' +
             std::to_string(a.unreadable) + ',' + std::to_string(a.hole_bytes) + ",,";
    };
    for (const auto& u : a.units) {
      const bool est = a.keep < 1;
      const bool stored_exact = u.stored_bytes && u.stored_bytes->low == u.stored_bytes->high;
      o << "analyze,unit," << u.unit << ',' << u.units << ',' << u.bytes << ','
        << std::llround(u.distinct.value) << ',' << (est ? fixed(u.distinct.low, 0) : "") << ','
        << (est ? fixed(u.distinct.high, 0) : "") << ','
        << (u.dedup_ratio ? fixed(*u.dedup_ratio, 6) : "") << ',' << u.zero_units << ','
        << ratio(u.compress.zstd) << ',' << ratio(u.compress.lz4) << ',' << ratio(u.compress.zlib)
        << ',' << (u.stored_bytes ? std::to_string(std::llround(u.stored_bytes->value)) : "") << ','
        << (u.stored_bytes && !stored_exact ? fixed(u.stored_bytes->low, 0) : "") << ','
        << (u.stored_bytes && !stored_exact ? fixed(u.stored_bytes->high, 0) : "") << ','
        << (u.combined_ratio ? fixed(*u.combined_ratio, 6) : "") << ',' << common() << "\n";
    }
    o << "analyze,chunk," << a.chunk << ',' << a.chunks << ',' << a.bytes << ",,,,,,"
      << ratio(a.chunk_compress.zstd) << ',' << ratio(a.chunk_compress.lz4) << ','
      << ratio(a.chunk_compress.zlib) << ",,,,," << common() << "\n";
    // The paths that could not be read (the first, in walk order), each on a row of its own.
    for (const auto& u : a.unreadable_first) {
      o << "analyze,unreadable," << std::string(22, ',') << csv_field(u.path) << ','
        << csv_field(u.error) << "\n";
    }
    return o.str();
  }
  o << "mode,rank,local_rank,host,numa_node,threads,simd,iteration,bytes,seconds,gbps,"
       "aggregate_gbps,job_seconds,baseline_gbps,local_fraction,complete";
  if (r.storage) {
    o << ",open_seconds,io_seconds,flush_seconds,close_seconds,generate_seconds,files,"
         "files_per_second,unflushed_gbps,stonewall_limit_seconds,stonewall_reached,"
         "stonewall_seconds,stonewall_gbps,stonewall_moved_per_second,"
      << kStorageColumns;
  }
  if (r.verify) o << ",verified_bytes,mismatched_bytes,mismatched_blocks,verify_gbps";
  o << "\n";
  for (const auto& k : r.per_rank) {
    for (std::size_t i = 0; i < k.seconds.size() && i < r.iterations.size(); ++i) {
      const std::uint64_t bytes = i < k.bytes.size() ? k.bytes[i] : r.bytes_per_rank;
      const double gbps = k.seconds[i] > 0 ? static_cast<double>(bytes) / k.seconds[i] / 1e9 : 0;
      o << r.mode << ',' << k.rank << ',' << k.local_rank << ',' << k.host << ',' << k.numa_node
        << ',' << k.threads << ',' << k.simd << ',' << i + 1 << ',' << bytes << ','
        << fixed(k.seconds[i], 6) << ',' << fixed(gbps, 3) << ','
        << fixed(r.iterations[i].aggregate_gbps, 3) << ',' << fixed(r.iterations[i].seconds, 6)
        << ',' << (r.baseline ? fixed(k.baseline_gbps, 3) : "") << ','
        << (k.local_fraction ? fixed(*k.local_fraction, 4) : "") << ','
        << (r.iterations[i].complete ? "true" : "false");
      const IterationResult& it = r.iterations[i];
      if (r.storage) {
        o << ',' << fixed(it.open_seconds, 6) << ',' << fixed(it.io_seconds, 6) << ','
          << fixed(it.flush_seconds, 6) << ',' << fixed(it.close_seconds, 6) << ','
          << fixed(it.generate_seconds, 6) << ',' << it.files << ','
          << fixed(it.files_per_second, 3) << ',' << fixed(it.unflushed_gbps, 3) << ','
          << stonewall_csv(it.stonewall) << ',' << storage_csv(*r.storage);
      }
      if (r.verify) {
        o << ',' << r.verify->bytes << ',' << r.verify->mismatched_bytes << ','
          << r.verify->mismatched_blocks << ',' << fixed(r.verify->gbps, 3);
      }
      o << "\n";
    }
  }
  return o.str();
}

}  // namespace

std::string render_csv(const Report& r) {
  return main_csv(r) + phases_csv(r.phases) + latency_csv(r.latency);
}

std::string render_timeline_csv(const Report& r) {
  std::ostringstream o;
  o << "rank,interval_start_seconds,bytes,gbps\n";
  if (!r.timeline) return o.str();
  const double interval = r.timeline->interval_seconds;
  for (std::size_t rank = 0; rank < r.timeline->ranks.size(); ++rank) {
    const auto& row = r.timeline->ranks[rank];
    for (std::size_t k = 0; k < row.size(); ++k) {
      o << rank << ',' << fixed(static_cast<double>(k) * interval, 6) << ',' << row[k] << ','
        << fixed(static_cast<double>(row[k]) / interval / 1e9, 6) << "\n";
    }
  }
  return o.str();
}

void to_json(nlohmann::json& j, const RankResult& r) {
  j = nlohmann::json{
      {"rank", r.rank},
      {"local_rank", r.local_rank},
      {"host", r.host},
      {"numa_node", r.numa_node},
      {"memory_nodes", r.memory_nodes},
      {"cpus", r.cpus},
      {"threads", r.threads},
      {"binding", r.binding},
      {"simd", r.simd},
      {"gbps", r.gbps},
      {"baseline_gbps", r.baseline_gbps},
      {"memset_gbps", r.memset_gbps},
      {"streaming_gbps", r.streaming_gbps},
      {"first_touch_seconds", r.first_touch_seconds},
      {"local_fraction", r.local_fraction ? nlohmann::json(*r.local_fraction) : nlohmann::json()},
      {"pages_unknown", r.pages_unknown},
      {"oversubscribed", r.oversubscribed},
      {"seconds", r.seconds},
      {"bytes", r.bytes},
      {"generate_seconds", r.generate_seconds},
      {"io_seconds", r.io_seconds},
      {"wall_moved", r.wall_moved},
      {"wall_bytes", r.wall_bytes},
      {"notice_seconds", r.notice_seconds}};
}

void from_json(const nlohmann::json& j, RankResult& r) {
  j.at("rank").get_to(r.rank);
  j.at("local_rank").get_to(r.local_rank);
  j.at("host").get_to(r.host);
  j.at("numa_node").get_to(r.numa_node);
  j.at("memory_nodes").get_to(r.memory_nodes);
  j.at("cpus").get_to(r.cpus);
  j.at("threads").get_to(r.threads);
  j.at("binding").get_to(r.binding);
  j.at("simd").get_to(r.simd);
  j.at("gbps").get_to(r.gbps);
  j.at("baseline_gbps").get_to(r.baseline_gbps);
  j.at("memset_gbps").get_to(r.memset_gbps);
  j.at("streaming_gbps").get_to(r.streaming_gbps);
  j.at("first_touch_seconds").get_to(r.first_touch_seconds);
  r.local_fraction.reset();
  if (!j.at("local_fraction").is_null()) r.local_fraction = j.at("local_fraction").get<double>();
  j.at("pages_unknown").get_to(r.pages_unknown);
  j.at("oversubscribed").get_to(r.oversubscribed);
  j.at("seconds").get_to(r.seconds);
  j.at("bytes").get_to(r.bytes);
  r.generate_seconds = j.value("generate_seconds", 0.0);
  r.io_seconds = j.value("io_seconds", 0.0);
  r.wall_moved = j.value("wall_moved", std::uint64_t{0});
  r.wall_bytes = j.value("wall_bytes", std::uint64_t{0});
  r.notice_seconds = j.value("notice_seconds", 0.0);
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
