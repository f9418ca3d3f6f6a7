#include "report/sections/fields.hpp"

namespace dgen::report::fields {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

nlohmann::ordered_json non_empty(const std::string& v) {
  return v.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(v);
}

}  // namespace dgen::report::fields
