#include "report/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dgen::report {

Timeline::Timeline(double interval_seconds, double start_time)
    : interval_(interval_seconds), start_(start_time) {
  if (!(interval_seconds > 0) || !std::isfinite(interval_seconds))
    throw std::invalid_argument(
        "timeline: the interval must be a positive number of seconds, not " +
        std::to_string(interval_seconds));
}

void Timeline::add(double now, std::uint64_t bytes) {
  const double at = std::floor((now - start_) / interval_);
  // Compared as doubles: a far-off (or NaN) time must not overflow the conversion.
  const std::size_t k = at >= static_cast<double>(kMaxIntervals - 1) ? kMaxIntervals - 1
                        : at > 0                                     ? static_cast<std::size_t>(at)
                                                                     : 0;
  if (k >= bytes_.size()) bytes_.resize(k + 1, 0);
  bytes_[k] += bytes;
}

void Timeline::merge(const Timeline& other) {
  if (other.interval_ != interval_ || other.start_ != start_)
    throw std::invalid_argument("timeline: merging timelines of other intervals or starts");
  if (other.bytes_.size() > bytes_.size()) bytes_.resize(other.bytes_.size(), 0);
  for (std::size_t k = 0; k < other.bytes_.size(); ++k) bytes_[k] += other.bytes_[k];
}

}  // namespace dgen::report
