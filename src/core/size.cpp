#include "dgen/size.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "core/text.hpp"

namespace dgen {

std::string format_number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

namespace {

[[noreturn]] void bad_size(std::string_view text, const char* why) {
  throw std::invalid_argument("'" + std::string(text) + "': " + why +
                              " (a positive byte count such as 4096, 64KiB, 1.5GiB or 10GB; "
                              "K/M/G/T/P/E and KiB..EiB are powers of 1024, KB..EB of 1000)");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The multiplier a suffix stands for, or 0 if it is not a size suffix.
std::uint64_t suffix_multiplier(std::string_view suffix) {
  static const std::pair<const char*, std::uint64_t> table[] = {
      {"", 1},
      {"b", 1},
      {"k", 1ULL << 10},
      {"m", 1ULL << 20},
      {"g", 1ULL << 30},
      {"t", 1ULL << 40},
      {"p", 1ULL << 50},
      {"e", 1ULL << 60},
      {"kib", 1ULL << 10},
      {"mib", 1ULL << 20},
      {"gib", 1ULL << 30},
      {"tib", 1ULL << 40},
      {"pib", 1ULL << 50},
      {"eib", 1ULL << 60},
      {"kb", 1000ULL},
      {"mb", 1000ULL * 1000},
      {"gb", 1000ULL * 1000 * 1000},
      {"tb", 1000ULL * 1000 * 1000 * 1000},
      {"pb", 1000ULL * 1000 * 1000 * 1000 * 1000},
      {"eb", 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000},
  };
  const std::string s = lower(suffix);
  for (const auto& [name, mult] : table) {
    if (s == name) return mult;
  }
  return 0;
}

}  // namespace

std::uint64_t parse_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  const std::size_t number_begin = i;
  std::size_t digits = 0, dots = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    (text[i] == '.' ? dots : digits)++;
    ++i;
  }
  if (i == number_begin && i < text.size() && (text[i] == '-' || text[i] == '+')) {
    bad_size(text, "not a positive number");
  }
  if (digits == 0) bad_size(text, "not a number");
  if (dots > 1) bad_size(text, "malformed number");
  const std::string_view number = text.substr(number_begin, i - number_begin);
  std::size_t suffix_end = text.size();
  while (suffix_end > i && std::isspace(static_cast<unsigned char>(text[suffix_end - 1]))) {
    --suffix_end;
  }
  std::size_t suffix_begin = i;
  while (suffix_begin < suffix_end && text[suffix_begin] == ' ') ++suffix_begin;
  const std::uint64_t mult =
      suffix_multiplier(text.substr(suffix_begin, suffix_end - suffix_begin));
  if (mult == 0) bad_size(text, "unknown unit");

  // Integer part exactly; the fraction exactly too where it comes to whole bytes.
  const std::size_t dot = number.find('.');
  const std::string_view int_part = number.substr(0, dot);
  const std::string_view frac_part =
      dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  unsigned __int128 value = 0;
  for (char c : int_part) {
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > UINT64_MAX) bad_size(text, "too large for 64 bits");
  }
  value *= mult;
  if (value > UINT64_MAX) bad_size(text, "too large for 64 bits");
  // fraction * mult, computed exactly as (frac_digits * mult) / 10^len.
  unsigned __int128 frac_num = 0, frac_den = 1;
  for (char c : frac_part) {
    if (frac_den >= 10'000'000'000'000'000'000ULL) {  // finer than a byte at any unit
      if (c != '0') bad_size(text, "not a whole number of bytes");
      continue;
    }
    frac_num = frac_num * 10 + static_cast<unsigned>(c - '0');
    frac_den *= 10;
  }
  const unsigned __int128 frac_bytes = frac_num * mult;
  if (frac_bytes % frac_den != 0) bad_size(text, "not a whole number of bytes");
  value += frac_bytes / frac_den;
  if (value > UINT64_MAX) bad_size(text, "too large for 64 bits");
  if (value == 0) bad_size(text, "must be at least 1 byte");
  return static_cast<std::uint64_t>(value);
}

std::string format_size(std::uint64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0 || v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g %s", v, units[u]);
  }
  return buf;
}

}  // namespace dgen
