// The iterations section: the table with its stonewall lines, JSON, and a storage row's columns.
#include <sstream>

#include "dgen/size.hpp"
#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::iterations {

using fields::fixed;
using fields::format;
using Json = nlohmann::ordered_json;

namespace {

// IOR's stonewalling line: the wall, what the ranks had moved, the rate over the measured time
// (files/s for a dataset); or, when every rank finished first, that the wall was not reached.
std::string stonewall_text(const Report& r, const Stonewall& w) {
  const bool files = r.storage && r.storage->layout == "dataset";
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

}  // namespace

std::string text(const Report& r) {
  std::ostringstream o;
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
  return o.str();
}

Json stonewall_json(const std::optional<Stonewall>& stonewall) {
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
          {"notice_seconds", w.reached ? Json(w.notice_seconds) : Json()},
          {"wear_out", w.wear_out},
          {"wear_out_seconds", w.wear_out_seconds},
          {"file_system_full", w.file_system_full}};
}

Json json(const std::vector<IterationResult>& its, bool storage) {
  auto out = Json::array();
  for (const auto& it : its) {
    Json j = {{"seconds", it.seconds},
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

std::string storage_csv_header() {
  return "open_seconds,io_seconds,flush_seconds,close_seconds,generate_seconds,files,"
         "files_per_second,unflushed_gbps,stonewall_limit_seconds,stonewall_reached,"
         "stonewall_seconds,stonewall_gbps,stonewall_moved_per_second";
}

std::string storage_csv_cells(const IterationResult& it) {
  // The stonewall's columns are empty without --duration.
  const std::optional<Stonewall>& w = it.stonewall;
  const std::string wall = !w ? ",,,,"
                              : fixed(w->limit_seconds, 6) + ',' + (w->reached ? "true" : "false") +
                                    ',' + fixed(w->seconds, 6) + ',' + fixed(w->gbps, 6) + ',' +
                                    fixed(w->moved_per_second, 3);
  std::ostringstream o;
  o << fixed(it.open_seconds, 6) << ',' << fixed(it.io_seconds, 6) << ','
    << fixed(it.flush_seconds, 6) << ',' << fixed(it.close_seconds, 6) << ','
    << fixed(it.generate_seconds, 6) << ',' << it.files << ',' << fixed(it.files_per_second, 3)
    << ',' << fixed(it.unflushed_gbps, 3) << ',' << wall;
  return o.str();
}

}  // namespace dgen::report::section::iterations
