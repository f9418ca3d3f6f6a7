// Small text helpers shared by validation messages and reports.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace dgen {

/// A double as people write it: "2", "1.5", "0.001", "nan", "inf" (up to 6 significant digits).
std::string format_number(double value);

/// The lines of a text: "a\nb\n" -> {"a", "b"}; a last line without '\n' counts too.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t a = 0, b; a < text.size(); a = b + 1) {
    b = std::min(text.find('\n', a), text.size());
    lines.push_back(text.substr(a, b - a));
  }
  return lines;
}

}  // namespace dgen
