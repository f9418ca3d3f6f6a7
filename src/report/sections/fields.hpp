// The small pieces every section prints with: fixed decimals, printf into a string, CSV quoting
// and JSON nulls. Internal to src/report.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

namespace dgen::report::fields {

/// `v` with `decimals` decimals ("%.*f").
std::string fixed(double v, int decimals);

/// printf into a std::string of any length (a row with a long cpu list must not be cut).
template <class... Args>
std::string format(const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string out(static_cast<std::size_t>(std::max(n, 0)), '\0');
  std::snprintf(out.data(), out.size() + 1, fmt, args...);
  return out;
}

/// A CSV field: quoted (RFC 4180) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& v);

/// An optional figure: its value, or null.
template <class T>
nlohmann::ordered_json opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
}

/// A text that is null when empty.
nlohmann::ordered_json non_empty(const std::string& v);

}  // namespace dgen::report::fields
