// libFuzzer: the ratio parsers (--dedup-ratio, --compress-ratio) through the command line, on
// any text. Bad input is a UsageError; a value that is accepted lies in the documented range.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the option, the rest is its value.
  const char* option = data[0] & 1 ? "--compress-ratio" : "--dedup-ratio";
  const std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
  if (value.find('\0') != std::string::npos) return 0;  // argv strings end at NUL
  const char* argv[] = {"dgen_mpi", option, value.c_str()};
  try {
    const auto parsed = dgen::app::parse_command_line(3, argv);
    const double r =
        data[0] & 1 ? parsed.options.spec.compress_ratio : parsed.options.spec.dedup_ratio;
    if (!(r >= 1.0 && r <= 100.0) || !std::isfinite(r)) std::abort();
  } catch (const dgen::app::UsageError&) {
  }
  return 0;
}
