#include "verify/compare.hpp"

#include <algorithm>
#include <cstring>

namespace dgen::verify {

namespace {

constexpr std::size_t kBlock = 4096;

// Folds the wrong bytes [p, p + n) into the range's "one value" test.
void note_values(Mismatch& m, const std::byte* p, std::size_t n) {
  for (std::size_t i = 0; i < n && m.uniform; ++i) {
    const int v = static_cast<unsigned char>(p[i]);
    if (m.value < 0) m.value = v;
    m.uniform = v == m.value;
  }
}

}  // namespace

// A range of 16 bytes or more whose wrong bytes are all one value is a hole (zeros) or a
// constant fill, whatever else decodes (a single wrong byte is foreign); else bytes of this stream
// when their lanes decode; else foreign. A block whose random lanes are intact and whose fill is
// wrong has wrong bytes that do not decode: foreign, or zeros / constant when the fill was
// overwritten with one value.
void Mismatch::describe() {
  // A file longer than the stream, or one missing or short: their own kinds.
  if (holds == "beyond the stream" || holds == "missing" || holds == "truncated") return;
  if (uniform && value >= 0 && length >= 16) {
    holds = value == 0 ? "zeros" : "constant";
    constant = value == 0 ? -1 : value;
    stream_offset.reset();
  } else if (located) {
    holds = "stream";
    stream_offset = located;
  } else {
    holds = "foreign";
  }
}

void MismatchLog::compare(const std::byte* got, const std::byte* want, std::size_t n,
                          std::uint64_t offset, std::uint64_t file, std::uint64_t file_offset,
                          const LaneDecoder& decoder) {
  // Right data, the common case: one memcmp over the whole range (glibc's vector memcmp runs
  // at cache speed; a loop over 4 KiB blocks costs a third of that).
  if (std::memcmp(got, want, n) == 0) return;
  // Blocks aligned to the stream's 4 KiB: memcmp finds the wrong ones, then the wrong bytes
  // are counted and ranged there only.
  std::size_t i = 0;
  while (i < n) {
    const std::size_t block_end =
        std::min<std::size_t>(n, i + kBlock - static_cast<std::size_t>((offset + i) % kBlock));
    if (std::memcmp(got + i, want + i, block_end - i) == 0) {
      i = block_end;
      continue;
    }
    const std::uint64_t block = (offset + i) / kBlock;
    if (block != last_block_) ++wrong_blocks_;
    last_block_ = block;
    std::size_t j = i;
    while (j < block_end) {
      if (got[j] == want[j]) {
        ++j;
        continue;
      }
      // A run of wrong bytes, up to the next matching byte.
      const std::size_t start = j;
      while (j < block_end && got[j] != want[j]) ++j;
      wrong_bytes_ += j - start;
      const std::uint64_t at = offset + start;
      if (have_open_ && at - open_end_ < kMergeDistance) {
        if (open_kept_) {
          Mismatch& m = first_.back();
          m.length = offset + j - m.offset;
          note_values(m, got + start, j - start);
        }
      } else {
        ++ranges_;
        open_kept_ = first_.size() < keep_;
        if (open_kept_) {
          Mismatch m;
          m.offset = at;
          m.length = j - start;
          m.expected = static_cast<unsigned char>(want[start]);
          m.found = static_cast<unsigned char>(got[start]);
          m.file = file;
          m.file_offset = file_offset + start;
          note_values(m, got + start, j - start);
          // Decoded from the bytes stored from its first wrong byte on, in this call.
          m.located = decoder.locate(got + start, want + start, n - start, at);
          m.describe();
          first_.push_back(m);
        }
      }
      if (open_kept_) first_.back().describe();
      open_end_ = offset + j;
      have_open_ = true;
    }
    i = block_end;
  }
}

void compare_with_stream(const Generator& generator, MismatchLog& log, const std::byte* got,
                         std::size_t n, std::uint64_t offset, std::uint64_t file,
                         std::uint64_t file_offset, std::byte* scratch,
                         const LaneDecoder& decoder) {
  for (std::size_t x = 0; x < n; x += kComparePiece) {
    const std::size_t k = std::min(kComparePiece, n - x);
    generator.generate(offset + x, {scratch, k});
    log.compare(got + x, scratch, k, offset + x, file, file_offset + x, decoder);
  }
}

std::vector<Mismatch> merge_mismatches(std::vector<Mismatch> all, std::size_t keep) {
  std::sort(all.begin(), all.end(),
            [](const Mismatch& a, const Mismatch& b) { return a.offset < b.offset; });
  std::vector<Mismatch> out;
  // A missing or truncated file's range joins only the same file's range that it continues
  // (a strided file's segments): each file that lacks bytes is named.
  auto lacks = [](const Mismatch& m) { return m.holds == "missing" || m.holds == "truncated"; };
  auto joins = [&](const Mismatch& o, const Mismatch& m) {
    if (lacks(o) || lacks(m)) {
      return o.holds == m.holds && o.file == m.file && m.offset == o.offset + o.length &&
             m.file_offset == o.file_offset + o.length;
    }
    return m.offset < o.offset + o.length + kMergeDistance;
  };
  for (auto& m : all) {
    if (!out.empty() && joins(out.back(), m)) {
      Mismatch& o = out.back();
      o.length = std::max(o.length, m.offset + m.length - o.offset);
      o.uniform = o.uniform && m.uniform && o.value == m.value;
      o.describe();
      continue;
    }
    if (out.size() == keep) break;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace dgen::verify
