// The three formats of the report, each the sections (report/sections/) in their order: a
// section writes its own lines, JSON and CSV columns; here only which comes where.
#include "report/report.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "report/sections/sections.hpp"

namespace dgen::report {

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
  namespace s = section;
  std::string o = s::run::header_text(r);
  if (r.analyze) {
    o += s::analyze::text(r) + "\n";
  } else {
    o += (r.mode != "bench" && r.storage ? s::storage::text(r) + "\n" : s::run::mode_text(r));
    o += "\n" + s::iterations::text(r) + s::phases::text(r) + "\n";
    o += s::run::summary_text(r) + "\n";
  }
  o += s::run::ranks_text(r);
  if (!r.analyze && r.storage) o += s::verify::text(r) + s::storage::outcome_text(r);
  return o + s::latency::text(r) + s::run::warnings_text(r);
}

nlohmann::ordered_json to_json(const Report& r) {
  namespace s = section;
  nlohmann::ordered_json j = s::run::head_json(r);
  j["storage"] = s::storage::json(r);
  j["verify"] = s::verify::json(r);
  j["analyze"] = s::analyze::json(r);
  j["bytes_kept"] = s::storage::bytes_kept_json(r);
  j["output_state"] = s::storage::output_state_json(r);
  j["resume"] = s::storage::resume_json(r);
  j["first_touch_seconds"] = r.first_touch_seconds;
  j["iterations"] = s::iterations::json(r.iterations, r.storage.has_value());
  j["phases"] = s::phases::json(r);
  j["summary"] = s::run::summary_json(r);
  j["baseline"] = s::run::baseline_json(r);
  j["per_rank"] = s::run::ranks_json(r);
  j["latency"] = s::latency::json(r);
  j["timeline"] = s::timeline::json(r);
  j["warnings"] = r.warnings;
  j["provenance"] = s::run::provenance_json(r.provenance);
  return j;
}

namespace {

// The CSV's first section: a row per iteration and rank, the run's columns, then a storage
// run's iteration and storage columns, then --verify's.
std::string rank_rows_csv(const Report& r) {
  namespace s = section;
  std::ostringstream o;
  o << s::run::csv_header();
  if (r.storage) o << ',' << s::iterations::storage_csv_header() << ',' << s::storage::csv_header();
  if (r.verify) o << ',' << s::verify::csv_header();
  o << "\n";
  for (const auto& k : r.per_rank) {
    for (std::size_t i = 0; i < k.seconds.size() && i < r.iterations.size(); ++i) {
      o << s::run::csv_cells(r, k, i);
      if (r.storage) {
        o << ',' << s::iterations::storage_csv_cells(r.iterations[i]) << ','
          << s::storage::csv_cells(*r.storage);
      }
      if (r.verify) o << ',' << s::verify::csv_cells(*r.verify);
      o << "\n";
    }
  }
  return o.str();
}

}  // namespace

std::string render_csv(const Report& r) {
  // --analyze: a row per unit size instead of the rank rows.
  const std::string first = r.analyze ? section::analyze::csv(r) : rank_rows_csv(r);
  return first + section::phases::csv(r) + section::latency::csv(r);
}

std::string render_timeline_csv(const Report& r) { return section::timeline::csv(r); }

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
