// The report by section: each section of the report writes its own table lines, JSON values and
// CSV columns, here in one place per section (a file each); report.cpp only puts the sections
// in their order for each format. Internal to src/report; docs/output.md has the fields.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace dgen::report::section {

/// The run: who ran what where (the first lines, provenance), the summary and baseline, the
/// per-rank rows and the warnings.
namespace run {
/// The first line (version, time, host, job, completeness), data and job lines.
std::string header_text(const Report& r);
/// The mode line of a bench run or of a write without storage parameters.
std::string mode_text(const Report& r);
/// The summary lines: files/s of a dataset, aggregate GB/s, the baseline.
std::string summary_text(const Report& r);
/// The per-rank table, the columns of the mode.
std::string ranks_text(const Report& r);
/// "warning: ..." lines.
std::string warnings_text(const Report& r);
/// The document's first fields: version to output.
nlohmann::ordered_json head_json(const Report& r);
nlohmann::ordered_json summary_json(const Report& r);
nlohmann::ordered_json baseline_json(const Report& r);
/// per_rank: a row per rank, its fields in name order.
nlohmann::ordered_json ranks_json(const Report& r);
nlohmann::ordered_json provenance_json(const Provenance& p);
/// The CSV's run columns, and a rank's cells of iteration i.
std::string csv_header();
std::string csv_cells(const Report& r, const RankResult& k, std::size_t i);
}  // namespace run

/// Where a write or read went and how, and what stands at the output afterwards.
namespace storage {
/// The "mode      write PATH (...)", io and access lines (no last line break).
std::string text(const Report& r);
/// The outcome lines after the per-rank table: a time-bounded write's output, --resume.
std::string outcome_text(const Report& r);
nlohmann::ordered_json json(const Report& r);
nlohmann::ordered_json bytes_kept_json(const Report& r);
nlohmann::ordered_json output_state_json(const Report& r);
nlohmann::ordered_json resume_json(const Report& r);
/// The run's storage columns (the same on every row).
std::string csv_header();
std::string csv_cells(const Storage& s);
}  // namespace storage

/// The iterations (and the baseline's): the table, stonewalls, JSON and the storage columns.
namespace iterations {
std::string text(const Report& r);
nlohmann::ordered_json json(const std::vector<IterationResult>& its, bool storage);
/// --duration: a stonewall as JSON, null without.
nlohmann::ordered_json stonewall_json(const std::optional<Stonewall>& stonewall);
/// A storage iteration's columns (times, files, stonewall).
std::string storage_csv_header();
std::string storage_csv_cells(const IterationResult& it);
}  // namespace iterations

/// --phases of a dataset (mdtest's summary).
namespace phases {
std::string text(const Report& r);
nlohmann::ordered_json json(const Report& r);
/// The CSV's phase section: an empty line, its header, a row per phase (empty without).
std::string csv(const Report& r);
}  // namespace phases

/// Transfer latencies per operation.
namespace latency {
std::string text(const Report& r);
nlohmann::ordered_json json(const Report& r);
/// The CSV's latency section: an empty line, its header, a row per operation (empty without).
std::string csv(const Report& r);
}  // namespace latency

/// Bytes per rank per interval.
namespace timeline {
nlohmann::ordered_json json(const Report& r);
/// `rank,interval_start_seconds,bytes,gbps`, a row per rank and interval.
std::string csv(const Report& r);
}  // namespace timeline

/// --verify: bytes compared, the wrong ranges and what they hold.
namespace verify {
/// An empty line and the verify lines; empty without --verify.
std::string text(const Report& r);
nlohmann::ordered_json json(const Report& r);
std::string csv_header();
std::string csv_cells(const Verify& v);
}  // namespace verify

/// --analyze: what the data holds, per unit size.
namespace analyze {
std::string text(const Report& r);
nlohmann::ordered_json json(const Report& r);
/// The whole CSV of an analysis: a row per unit size, the chunks, the unreadable paths.
std::string csv(const Report& r);
}  // namespace analyze

}  // namespace dgen::report::section
