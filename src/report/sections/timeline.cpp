// The timeline section: bytes each rank completed per interval.
#include <sstream>

#include "report/sections/fields.hpp"
#include "report/sections/sections.hpp"

namespace dgen::report::section::timeline {

using fields::fixed;
using Json = nlohmann::ordered_json;

Json json(const Report& r) {
  if (!r.timeline) return nullptr;
  auto ranks = Json::array();
  for (const auto& row : r.timeline->ranks) ranks.push_back(row);
  return {{"interval_seconds", r.timeline->interval_seconds}, {"ranks", ranks}};
}

std::string csv(const Report& r) {
  std::ostringstream o;
  o << "rank,interval_start_seconds,bytes,gbps\n";
  if (!r.timeline) return o.str();
  const double interval = r.timeline->interval_seconds;
  for (std::size_t rank = 0; rank < r.timeline->ranks.size(); ++rank) {
    const auto& row = r.timeline->ranks[rank];
    for (std::size_t k = 0; k < row.size(); ++k) {
      o << rank << ',' << fixed(static_cast<double>(k) * interval, 6) << ',' << row[k] << ','
        << fixed(static_cast<double>(row[k]) / interval / 1e9, 6) << "\n";
    }
  }
  return o.str();
}

}  // namespace dgen::report::section::timeline
