// Small text helpers shared by validation messages and reports.
#pragma once

#include <string>

namespace dgen {

/// A double as people write it: "2", "1.5", "0.001", "nan", "inf" (up to 6 significant digits).
std::string format_number(double value);

}  // namespace dgen
