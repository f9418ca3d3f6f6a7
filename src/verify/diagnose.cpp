#include "verify/diagnose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/stream_layout.hpp"
#include "dgen/generator.hpp"
#include "verify/decode.hpp"

namespace dgen::verify {

namespace {

// Ratios from 1 to 100 in the order people type them: integers, halves, quarters, tenths, then
// hundredths.
const std::vector<double>& nice_ratios() {
  static const std::vector<double> values = [] {
    std::vector<double> v;
    std::vector<bool> seen(9901, false);  // hundredths from 1.00 to 100.00
    for (int step : {100, 50, 25, 10, 5, 1}) {
      for (int h = 100; h <= 10000; h += step) {
        if (seen[static_cast<std::size_t>(h - 100)]) continue;
        seen[static_cast<std::size_t>(h - 100)] = true;
        v.push_back(h / 100.0);
      }
    }
    return v;
  }();
  return values;
}

std::uint32_t random_bytes_of(const DataSpec& spec) {
  return detail::make_stream_layout(spec).random_bytes;
}

// Units to try: the given one first, then the others nearest to it.
std::vector<std::uint64_t> unit_order(std::uint64_t given) {
  std::vector<std::uint64_t> units;
  for (std::uint64_t u = kMinDedupUnit; u <= kMaxDedupUnit; u *= 2) units.push_back(u);
  const auto distance = [given](std::uint64_t u) {
    const double d = std::log2(static_cast<double>(u)) - std::log2(static_cast<double>(given));
    return std::abs(d);
  };
  std::stable_sort(units.begin(), units.end(),
                   [&](std::uint64_t a, std::uint64_t b) { return distance(a) < distance(b); });
  return units;
}

std::string typed_size(std::uint64_t bytes) {
  if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0)
    return std::to_string(bytes >> 20) + "MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes) + "B";
}

std::string typed_ratio(double r) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", r);
  return text;
}

struct Lane {
  std::uint64_t offset;  ///< stream offset
  LaneCounter counter;
};

}  // namespace

std::optional<DataSpec> find_data_options(const DataSpec& given,
                                          const std::vector<Sample>& samples) {
  const SeedDecoder decoder(given.seed);
  std::vector<Lane> lanes;
  std::size_t largest = 0;
  for (const Sample& s : samples) {
    if (s.offset % 16 != 0) return std::nullopt;
    largest = std::max(largest, s.size);
    for (std::size_t at = 0; at + 16 <= s.size; at += 16) {
      const LaneCounter c = decoder.counter(s.bytes + at);
      if (c.random()) lanes.push_back({s.offset + at, c});
    }
  }
  if (lanes.empty()) return std::nullopt;
  std::vector<std::byte> want(largest);
  for (const std::uint64_t unit : unit_order(given.dedup_unit)) {
    // A random lane's counter holds its lane index in the unit: its place within the unit.
    const bool fits = std::all_of(lanes.begin(), lanes.end(), [unit](const Lane& l) {
      return l.offset % unit == 16 * l.counter.lane;
    });
    if (!fits) continue;
    // Fill first, random bytes last in each block: the first random lane ends the fill.
    const std::uint64_t block = std::min<std::uint64_t>(unit, detail::kMaxBlockSize);
    std::uint64_t fill = block;
    for (const Lane& l : lanes) fill = std::min(fill, l.offset % block);
    const std::uint32_t random = static_cast<std::uint32_t>(block - fill);
    // The fill's kind: zeros, or a pattern word that is never zero.
    bool zero_fill = true;
    for (const Sample& s : samples) {
      for (std::size_t at = 0; at < s.size && zero_fill; ++at) {
        if ((s.offset + at) % block < fill && s.bytes[at] != std::byte{0}) zero_fill = false;
      }
    }
    DataSpec spec = given;
    spec.dedup_unit = unit;
    if (fill > 0) spec.compress_fill = zero_fill ? CompressFill::kZero : CompressFill::kPattern;
    // The compression ratio sets the random bytes per block: the given one if it gives these,
    // else the nicest that does.
    if (random_bytes_of(spec) != random) {
      bool found = false;
      for (const double c : nice_ratios()) {
        spec.compress_ratio = c;
        if (random_bytes_of(spec) == random) {
          found = true;
          break;
        }
      }
      if (!found) continue;
    }
    // The dedup ratio picks which unique unit each unit carries.
    std::vector<double> ratios{given.dedup_ratio};
    ratios.insert(ratios.end(), nice_ratios().begin(), nice_ratios().end());
    for (const double d : ratios) {
      spec.dedup_ratio = d;
      const detail::StreamLayout layout = detail::make_stream_layout(spec);
      // Lanes from every sample, a few each, prune the candidates cheaply.
      bool consistent = true;
      const std::size_t stride = std::max<std::size_t>(1, lanes.size() / 256);
      for (std::size_t i = 0; i < lanes.size() && consistent; i += stride) {
        const std::uint64_t u = lanes[i].offset >> layout.unit_shift;
        consistent = detail::source_unit(layout, u) == lanes[i].counter.unique;
      }
      if (!consistent) continue;
      bool all = true;
      try {
        const Generator generator(spec);
        for (const Sample& s : samples) {
          generator.generate(s.offset, {want.data(), s.size});
          all = all && std::memcmp(want.data(), s.bytes, s.size) == 0;
        }
      } catch (const std::exception&) {
        all = false;
      }
      if (all) return spec;
    }
  }
  return std::nullopt;
}

std::string differing_options(const DataSpec& given, const DataSpec& found) {
  std::string out;
  auto add = [&out](const std::string& option) { out += (out.empty() ? "" : " ") + option; };
  if (found.dedup_ratio != given.dedup_ratio)
    add("--dedup-ratio " + typed_ratio(found.dedup_ratio));
  if (found.dedup_unit != given.dedup_unit) add("--dedup-unit " + typed_size(found.dedup_unit));
  if (found.compress_ratio != given.compress_ratio)
    add("--compress-ratio " + typed_ratio(found.compress_ratio));
  if (found.compress_fill != given.compress_fill)
    add("--compress-fill " + std::string(to_string(found.compress_fill)));
  return out;
}

}  // namespace dgen::verify
