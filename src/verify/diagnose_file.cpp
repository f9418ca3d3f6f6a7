#include "verify/diagnose_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

#include "verify/decode.hpp"
#include "verify/diagnose.hpp"

namespace dgen::verify {

std::string diagnose_options(const DataSpec& given, const WrongRanges& wrong,
                             std::string& options) {
  if (wrong.holds.empty() || wrong.holds.front() == "beyond the stream" ||
      wrong.holds.front() == "missing" || wrong.holds.front() == "truncated")
    return "";
  const std::size_t stream = static_cast<std::size_t>(
      std::count(wrong.holds.begin(), wrong.holds.end(), std::string("stream")));
  // Samples of the file that holds the first wrong byte: its first wrong range's 4 KiB block of
  // the stream, and three more spread over the file (they pin the dedup ratio), 64 KiB each.
  const int fd = open(wrong.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st {};
  const std::uint64_t file_size = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  const std::uint64_t file_start = wrong.offset - wrong.file_offset;  // its stream offset
  constexpr std::size_t kSample = 64 << 10;
  std::vector<std::uint64_t> at_file{
      wrong.file_offset - std::min<std::uint64_t>(wrong.offset % 4096, wrong.file_offset)};
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
    return "";  // foreign bytes: nothing to say about the options
  const auto found = find_data_options(given, samples);
  if (found) {
    options = differing_options(given, *found);
    return "the wrong bytes are this seed's stream made with other data options: the file's "
           "bytes are the stream of " +
           options + " (verify with those options)";
  }
  if (2 * stream >= wrong.holds.size()) {
    return "most wrong ranges hold this seed's stream from other offsets: misdirected or stale "
           "writes, or data options that differ from the write's (no other options regenerate "
           "the first wrong range)";
  }
  return "";
}

}  // namespace dgen::verify
