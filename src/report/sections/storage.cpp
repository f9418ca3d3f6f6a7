// The storage section: where a write or read went and how, and what stands at the output after.
#include <algorithm>
#include <sstream>

#include "core/text.hpp"
#include "dgen/size.hpp"
#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::storage {

using fields::fixed;
using Json = nlohmann::ordered_json;

std::string text(const Report& r) {
  const Storage& s = *r.storage;
  std::string line = std::string("mode      ") + (r.mode == "read" ? "read " : "write ") + s.path +
                     " (" + s.layout;
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

std::string outcome_text(const Report& r) {
  std::ostringstream o;
  // A time-bounded write leaves files cut at the wall: what each holds (an interrupted run says
  // it on its first line).
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
  return o.str();
}

Json json(const Report& r) {
  if (!r.storage) return nullptr;
  const Storage& st = *r.storage;
  return {{"path", st.path},
          {"layout", st.layout},
          {"files", st.files},
          {"file_size", st.file_size},
          {"files_per_dir", st.files_per_dir},
          {"io", st.io},
          {"collective", fields::opt(st.collective)},
          {"transfer", st.transfer},
          {"direct", st.direct},
          {"fsync", st.fsync},
          {"in_place", st.in_place},
          {"iodepth", st.iodepth},
          {"reorder", st.reorder},
          {"pattern", st.pattern},
          {"order_seed", fields::opt(st.order_seed)},
          {"segments", fields::opt(st.segments)},
          {"block", fields::opt(st.block)},
          {"duration", fields::opt(st.duration)},
          {"wear_out", st.wear_out},
          {"unique_dir", st.unique_dir},
          {"verify", st.verify},
          {"resume", st.resume},
          {"phases", st.phases.empty() ? Json() : Json(st.phases)}};
}

Json bytes_kept_json(const Report& r) { return fields::opt(r.bytes_kept); }

Json output_state_json(const Report& r) {
  if (!r.output_state) return nullptr;
  const OutputState& o = *r.output_state;
  Json j = {{"state", o.state}, {"path", o.path}, {"bytes", o.bytes}};
  j["iteration"] = fields::opt(o.iteration);
  j["files"] = fields::opt(o.files);
  if (o.file_lengths.empty()) {
    j["file_lengths"] = nullptr;
  } else {
    auto& lengths = j["file_lengths"] = Json::array();
    for (const FileLength& f : o.file_lengths)
      lengths.push_back({{"path", f.path}, {"length", f.length}, {"holds", f.holds}});
  }
  j["text"] = o.text;
  return j;
}

Json resume_json(const Report& r) {
  if (!r.resume) return nullptr;
  const Resume& x = *r.resume;
  return {{"from", fields::non_empty(x.from)},
          {"reused_bytes", x.reused_bytes},
          {"written_bytes", x.written_bytes},
          {"reused_files", x.reused_files},
          {"removed_partials", x.removed_partials}};
}

std::string csv_header() {
  // Each changes a figure.
  return "layout,files_per_dir,unique_dir,io,iodepth,collective,transfer,direct,fsync,in_place,"
         "reorder,resume,verify,pattern,order_seed,segments,block,duration_seconds,wear_out,phases";
}

std::string csv_cells(const Storage& s) {
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  auto num = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : ""; };
  std::string phases;
  for (std::size_t i = 0; i < s.phases.size(); ++i) phases += (i ? " " : "") + s.phases[i];
  return s.layout + ',' + std::to_string(s.files_per_dir) + ',' + flag(s.unique_dir) + ',' +
         fields::csv_field(s.io) + ',' + std::to_string(s.iodepth) + ',' +
         (s.collective ? flag(*s.collective) : "") + ',' + std::to_string(s.transfer) + ',' +
         flag(s.direct) + ',' + flag(s.fsync) + ',' + flag(s.in_place) + ',' + flag(s.reorder) +
         ',' + flag(s.resume) + ',' + flag(s.verify) + ',' + s.pattern + ',' + num(s.order_seed) +
         ',' + num(s.segments) + ',' + num(s.block) + ',' +
         (s.duration ? fixed(*s.duration, 6) : "") + ',' + flag(s.wear_out) + ',' + phases;
}

}  // namespace dgen::report::section::storage
