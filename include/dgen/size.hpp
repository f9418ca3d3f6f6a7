// Byte sizes as people type them: "4096", "1.5GiB", "64K", "10GB".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dgen {

/// Parses a byte count. Plain digits are bytes; K/M/G/T/P/E and KiB..EiB are powers of 1024
/// (as in IOR and fio); KB..EB are powers of 1000; a decimal number is allowed with
/// a suffix ("1.5GiB") and must come to a whole number of bytes. Suffixes are case-insensitive,
/// a trailing "B" alone means bytes. Throws std::invalid_argument on anything else, on zero, on
/// negative numbers and on values that do not fit in 64 bits.
///
/// Example: parse_size("1.5GiB") == 1610612736, parse_size("2KB") == 2000.
std::uint64_t parse_size(std::string_view text);

/// Formats a byte count for people with a binary suffix, e.g. "1 GiB", "1.5 MiB", "512 B".
std::string format_size(std::uint64_t bytes);

}  // namespace dgen
