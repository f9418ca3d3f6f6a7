// The verify section: bytes compared, the wrong ranges and what they hold.
#include <sstream>

#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::verify {

using fields::fixed;
using Json = nlohmann::ordered_json;

namespace {

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

}  // namespace

std::string text(const Report& r) {
  if (!r.verify) return "";
  const Verify& v = *r.verify;
  std::ostringstream o;
  o << "\nverify    " << v.bytes << " bytes compared at " << fixed(v.gbps, 2) << " GB/s (compare "
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

Json json(const Report& r) {
  if (!r.verify) return nullptr;
  const Verify& v = *r.verify;
  auto list = Json::array();
  for (const auto& m : v.mismatches) {
    Json x = {{"offset", m.offset},
              {"length", m.length},
              {"file", m.file},
              {"file_offset", m.file_offset},
              {"holds", m.holds}};
    x["expected"] = m.expected >= 0 ? Json(m.expected) : Json();
    x["found"] = m.found >= 0 ? Json(m.found) : Json();
    x["stream_offset"] = fields::opt(m.stream_offset);
    x["constant"] = fields::opt(m.constant);
    list.push_back(x);
  }
  Json j = {{"bytes", v.bytes},
            {"seconds", v.seconds},
            {"gbps", v.gbps},
            {"compare_seconds", v.compare_seconds},
            {"mismatched_bytes", v.mismatched_bytes},
            {"mismatched_blocks", v.mismatched_blocks},
            {"missing_bytes", v.missing_bytes},
            {"mismatches", list}};
  j["other_options"] = fields::non_empty(v.other_options);
  j["diagnosis"] = fields::non_empty(v.diagnosis);
  return j;
}

std::string csv_header() { return "verified_bytes,mismatched_bytes,mismatched_blocks,verify_gbps"; }

std::string csv_cells(const Verify& v) {
  return std::to_string(v.bytes) + ',' + std::to_string(v.mismatched_bytes) + ',' +
         std::to_string(v.mismatched_blocks) + ',' + fixed(v.gbps, 3);
}

}  // namespace dgen::report::section::verify
