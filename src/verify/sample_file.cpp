#include "verify/sample_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "verify/decode.hpp"
#include "verify/diagnose.hpp"

namespace dgen::verify {

FileOrigin sample_file_origin(const DataSpec& given, const std::string& path, std::uint64_t offset,
                              std::uint64_t file_offset) {
  FileOrigin origin;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return origin;
  struct stat st {};
  const std::uint64_t file_size = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  const std::uint64_t file_start = offset - file_offset;  // its stream offset
  constexpr std::size_t kSample = 64 << 10;
  std::vector<std::uint64_t> at_file{file_offset -
                                     std::min<std::uint64_t>(offset % 4096, file_offset)};
  for (int k = 1; k <= 3 && file_size > 4 * kSample; ++k)
    at_file.push_back((file_size * static_cast<std::uint64_t>(k) / 4) & ~std::uint64_t{4095});
  std::vector<std::vector<std::byte>> held;
  std::vector<Sample> samples;
  for (const std::uint64_t f : at_file) {
    std::vector<std::byte> bytes(kSample);
    const ssize_t got = pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(f));
    const std::uint64_t stream_at = file_start + f;
    const std::uint64_t shift = (16 - stream_at % 16) % 16;  // lanes start on multiples of 16
    if (got <= static_cast<ssize_t>(shift + 16)) continue;
    held.push_back(std::move(bytes));
    samples.push_back(
        {held.back().data() + shift, static_cast<std::size_t>(got) - shift, stream_at + shift});
  }
  close(fd);
  if (samples.empty() || !carries_stream_of(given.seed, samples[0].bytes, samples[0].size))
    return origin;  // foreign bytes: nothing to say about the options
  origin.seed_stream = true;
  origin.options = find_data_options(given, samples);
  return origin;
}

}  // namespace dgen::verify
