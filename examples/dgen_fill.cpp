// dgen_fill: the library alone, without MPI: writes bytes [--offset, --offset + --size) of the
// stream the data options describe to stdout, the same bytes as `dgen_mpi --output -` with the
// same options. A small example of using include/dgen/, and what the Arm build runs under
// qemu-user (scripts/cross-aarch64.sh), where dgen_mpi's Open MPI is not installed.
//
//   dgen_fill --size 1GiB --dedup-ratio 2 --compress-ratio 3 | zstd -3 | wc -c
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "dgen/dgen.hpp"

namespace {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "dgen_fill: %s\n", message.c_str());
  std::exit(2);
}

double ratio(const std::string& option, const char* text) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (*text == '\0' || *end != '\0') fail(option + " " + text + ": must be a number from 1 to 100");
  return v;
}

std::uint64_t number(const std::string& option, const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 0);
  if (*text == '\0' || *text == '-' || *end != '\0' || errno == ERANGE)
    fail(option + " " + text + ": must be an integer from 0 to 18446744073709551615");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  dgen::DataSpec spec;
  std::uint64_t size = 1ULL << 20, offset = 0;
  std::string simd = "auto";
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--help" || option == "-h") {
      std::printf(
          "Usage: dgen_fill [--size SIZE] [--offset N] [--seed N] [--dedup-ratio R]\n"
          "                 [--dedup-unit SIZE] [--compress-ratio R] [--compress-fill "
          "zero|pattern]\n"
          "                 [--simd NAME|list]\n"
          "Writes stream bytes [offset, offset + size) to stdout (default 1MiB from 0), the same\n"
          "bytes as dgen_mpi --output - with the same data options.\n");
      return 0;
    }
    if (i + 1 >= argc) fail(option + ": needs a value (see dgen_fill --help)");
    const char* value = argv[++i];
    try {
      if (option == "--size") {
        size = dgen::parse_size(value);
      } else if (option == "--offset") {
        offset = number(option, value);
      } else if (option == "--seed") {
        spec.seed = number(option, value);
      } else if (option == "--dedup-ratio") {
        spec.dedup_ratio = ratio(option, value);
      } else if (option == "--dedup-unit") {
        spec.dedup_unit = dgen::parse_size(value);
      } else if (option == "--compress-ratio") {
        spec.compress_ratio = ratio(option, value);
      } else if (option == "--compress-fill") {
        spec.compress_fill = dgen::parse_compress_fill(value);
      } else if (option == "--simd") {
        simd = value;
      } else {
        fail("unrecognised option '" + option + "' (see dgen_fill --help)");
      }
    } catch (const std::invalid_argument& e) {
      fail(option + " " + e.what());
    }
  }
  if (simd == "list") {
    for (const auto& t : dgen::compiled_simd_targets())
      std::printf("%s%s\n", t.name.c_str(), t.supported ? "" : " (not supported by this CPU)");
    std::printf("best: %s\n", dgen::best_simd_target().name.c_str());
    return 0;
  }
  try {
    const dgen::Generator gen(spec,
                              simd == "auto" ? dgen::SimdTarget{} : dgen::select_simd_target(simd));
    std::fprintf(stderr, "dgen_fill: %s, simd %s\n", dgen::format_size(size).c_str(),
                 gen.simd().name.c_str());
    std::vector<std::byte> buf(std::min<std::uint64_t>(size, 4 << 20));
    for (std::uint64_t done = 0; done < size;) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
      gen.generate(offset + done, {buf.data(), n});
      for (std::size_t w = 0; w < n;) {
        const ssize_t r = write(STDOUT_FILENO, buf.data() + w, n - w);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
          std::fprintf(stderr, "dgen_fill: write to stdout: %s\n", std::strerror(errno));
          return 4;
        }
        w += static_cast<std::size_t>(r);
      }
      done += n;
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
