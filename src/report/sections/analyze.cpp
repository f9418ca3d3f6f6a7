// The analyze section: what the data holds, per unit size and for the chunks.
#include <cmath>
#include <sstream>

#include "core/text.hpp"
#include "dgen/size.hpp"
#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::analyze {

using fields::csv_field;
using fields::fixed;
using fields::format;

namespace {

std::string ratio_text(const std::optional<Range>& r) { return r ? fixed(r->value, 2) : "-"; }

std::string interval_text(const Range& r, int decimals) {
  return fixed(r.low, decimals) + ".." + fixed(r.high, decimals);
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

std::string paths_text(const std::vector<std::string>& paths) {
  std::string s;
  for (const auto& p : paths) s += (s.empty() ? "" : " ") + p;
  return s;
}

}  // namespace

std::string text(const Report& r) {
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

nlohmann::ordered_json json(const Report& r) {
  if (!r.analyze) return nullptr;
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
        a.sample > 0 && a.sample < 1 && u.compress.zstd && u.dedup_ratio && *u.dedup_ratio > 1.0001
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
  return {{"paths", a.paths},
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
}

std::string csv(const Report& r) {
  std::ostringstream o;
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

}  // namespace dgen::report::section::analyze
