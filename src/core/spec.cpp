#include "dgen/spec.hpp"

#include <cmath>
#include <stdexcept>

#include "core/text.hpp"

namespace dgen {

namespace {

void check_ratio(const char* option, double value, double lo, double hi) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    throw std::invalid_argument(option + std::string(" ") + format_number(value) +
                                ": must be a number from " + format_number(lo) + " to " +
                                format_number(hi));
  }
}

}  // namespace

void validate(const DataSpec& spec) {
  check_ratio("--dedup-ratio", spec.dedup_ratio, kMinDedupRatio, kMaxDedupRatio);
  check_ratio("--compress-ratio", spec.compress_ratio, kMinCompressRatio, kMaxCompressRatio);
  const std::uint64_t u = spec.dedup_unit;
  if (u < kMinDedupUnit || u > kMaxDedupUnit || (u & (u - 1)) != 0) {
    throw std::invalid_argument("--dedup-unit " + std::to_string(u) +
                                ": must be a power of two from 512 (512B) to 1048576 (1MiB)");
  }
}

std::string_view to_string(CompressFill fill) {
  return fill == CompressFill::kZero ? "zero" : "pattern";
}

CompressFill parse_compress_fill(std::string_view text) {
  if (text == "zero") return CompressFill::kZero;
  if (text == "pattern") return CompressFill::kPattern;
  throw std::invalid_argument("--compress-fill " + std::string(text) + ": must be zero or pattern");
}

}  // namespace dgen
