// How reports write lists of cpu and node numbers.
#pragma once

#include <string>
#include <vector>

namespace dgen::report {

/// "0,2,5", or "-" for none.
std::string comma_list(const std::vector<int>& values);

/// Sorted, with runs shortened as people read cpu lists: "0-3,8,10-11", or "-" for none.
std::string range_list(std::vector<int> values);

}  // namespace dgen::report
