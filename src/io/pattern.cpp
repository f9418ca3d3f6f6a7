#include "io/pattern.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>

#include "buffer/partition.hpp"

namespace dgen::io {

namespace {

// SplitMix64's finalizer: every input bit reaches every output bit, so the Feistel rounds get
// unrelated values from neighbouring halves and close seeds give unrelated keys.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

std::uint64_t mask(int bits) { return bits == 0 ? 0 : ~0ULL >> (64 - bits); }

// Transfers of `transfer` bytes that `length` bytes take, the last one short; no overflow.
std::uint64_t transfers_in(std::uint64_t length, std::uint64_t transfer) {
  return length / transfer + (length % transfer != 0 ? 1 : 0);
}

}  // namespace

const char* to_string(Pattern pattern) {
  switch (pattern) {
    case Pattern::kSequential:
      return "sequential";
    case Pattern::kRandom:
      return "random";
    case Pattern::kStrided:
      return "strided";
  }
  return "?";
}

Pattern parse_pattern(std::string_view name) {
  for (Pattern p : {Pattern::kSequential, Pattern::kRandom, Pattern::kStrided})
    if (name == to_string(p)) return p;
  throw std::invalid_argument("unknown access pattern '" + std::string(name) +
                              "': sequential, random or strided");
}

Permutation::Permutation(std::uint64_t count, std::uint64_t seed) : count_(count) {
  // The domain is [0, 2^bits) with 2^bits < 2 * count, so cycle walking takes fewer than two
  // steps on average. Odd widths split unevenly; the rounds alternate which half is wider.
  const int bits = count <= 1 ? 0 : std::bit_width(count - 1);
  high_bits_ = bits / 2;
  low_bits_ = bits - high_bits_;
  std::uint64_t state = seed;
  for (std::uint64_t& k : keys_) k = mix(state += kGolden);
}

std::uint64_t Permutation::feistel(std::uint64_t x) const {
  // (L, R) -> (R, L ^ F(R)): invertible for any F, whatever the widths of L and R. The halves
  // trade widths each round, so rounds go in pairs with the widths fixed.
  const int high = high_bits_, low = low_bits_;
  const std::uint64_t high_mask = mask(high), low_mask = mask(low);
  for (int r = 0; r < kRounds; r += 2) {
    std::uint64_t left = x >> low, right = x & low_mask;
    x = (right << high) | ((left ^ mix(right ^ keys_[r])) & high_mask);
    left = x >> high;  // the high part is now `low` bits wide, the low part `high` bits
    right = x & high_mask;
    x = (right << low) | ((left ^ mix(right ^ keys_[r + 1])) & low_mask);
  }
  return x;
}

std::uint64_t Permutation::operator()(std::uint64_t i) const {
  if (i >= count_) {
    throw std::out_of_range("permutation of " + std::to_string(count_) + " values: index " +
                            std::to_string(i));
  }
  // Cycle walking: the Feistel network permutes [0, 2^bits); following i's cycle to the next
  // value below count permutes [0, count).
  std::uint64_t x = feistel(i);
  while (x >= count_) x = feistel(x);
  return x;
}

std::uint64_t order_key(std::uint64_t seed, int rank, int thread) {
  const std::uint64_t who = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(rank)) << 32) |
                            static_cast<std::uint32_t>(thread);
  return seed ^ mix(who + kGolden);
}

TransferSequence::TransferSequence(const ExtentList& rank_extents, bool whole_files_per_thread,
                                   std::uint64_t transfer, std::uint64_t granule, int threads,
                                   int thread, Pattern order, std::uint64_t seed, int rank)
    : transfer_(transfer) {
  if (transfer == 0) throw std::invalid_argument("a transfer of 0 bytes");
  if (granule == 0) throw std::invalid_argument("a thread granule of 0 bytes");
  if (threads < 1 || thread < 0 || thread >= threads) {
    throw std::invalid_argument("thread " + std::to_string(thread) + " of " +
                                std::to_string(threads));
  }
  const bool random = order == Pattern::kRandom;
  const std::uint64_t key = order_key(seed, rank, thread);
  if (whole_files_per_thread) {
    const buffer::Part mine = buffer::part_of(rank_extents.size(), threads, thread, 1);
    if (rank_extents.uniform() && mine.size() > 0 && rank_extents[0].length > 0) {
      // A dataset: every file of one length, so the thread's files need no list (a billion
      // files take no memory).
      lazy_files_ = true;
      files_ = rank_extents;
      files_begin_ = mine.begin;
      file_count_ = mine.size();
      per_file_ = transfers_in(rank_extents[0].length, transfer);
      size_ = file_count_ * per_file_;
      bytes_ = file_count_ * rank_extents[0].length;
      random_files_ = random;
      file_order_ = Permutation(random ? file_count_ : 0, key);
      return;
    }
    const Permutation files(random ? mine.size() : 0, key);
    pieces_.reserve(mine.size());
    for (std::uint64_t k = 0; k < mine.size(); ++k)
      add(rank_extents[mine.begin + (random ? files(k) : k)]);
    return;
  }
  if (rank_extents.size() == 1) {
    const Extent& e = rank_extents[0];
    const buffer::Part p = buffer::part_of(e.length, threads, thread, granule);
    if (p.size() > 0) add({e.file, e.file_offset + p.begin, e.stream_offset + p.begin, p.size()});
  } else if (rank_extents.uniform() && rank_extents[0].length > 0) {
    // The same split, computed: every extent has L bytes and c transfers, so the rank's
    // transfer g starts at byte (g / c) * L + (g % c) * transfer of its bytes.
    const std::uint64_t length = rank_extents[0].length;
    const std::uint64_t c = transfers_in(length, transfer);
    const unsigned __int128 total = static_cast<unsigned __int128>(rank_extents.size()) * length;
    auto first_at = [&](unsigned __int128 p) {
      const auto e = static_cast<std::uint64_t>(p / length);
      const auto rem = static_cast<std::uint64_t>(p % length);
      return e * c + std::min(c, transfers_in(rem, transfer));
    };
    auto bytes_before = [&](std::uint64_t g) {
      return (g / c) * length + std::min(length, (g % c) * transfer);
    };
    g0_ = first_at(total * static_cast<unsigned>(thread) / static_cast<unsigned>(threads));
    g1_ = first_at(total * static_cast<unsigned>(thread + 1) / static_cast<unsigned>(threads));
    lazy_segments_ = true;
    files_ = rank_extents;
    per_file_ = c;
    size_ = g1_ - g0_;
    bytes_ = bytes_before(g1_) - bytes_before(g0_);
  } else {
    // The rank's bytes B in extent order; this thread's transfers are those that start in
    // [from, to): contiguous, each transfer in exactly one thread, at most one transfer's
    // length from B / threads.
    unsigned __int128 total = 0;
    for (const Extent& e : rank_extents) total += e.length;
    const auto from = static_cast<std::uint64_t>(total * static_cast<unsigned>(thread) /
                                                 static_cast<unsigned>(threads));
    const auto to = static_cast<std::uint64_t>(total * static_cast<unsigned>(thread + 1) /
                                               static_cast<unsigned>(threads));
    std::uint64_t start = 0;  // the extent's first byte among the rank's bytes
    for (const Extent& e : rank_extents) {
      if (start >= to) break;
      const std::uint64_t count = transfers_in(e.length, transfer);
      // The first transfer of the extent that starts at or after byte p of the rank's bytes.
      auto first_at = [&](std::uint64_t p) {
        return std::min(count, transfers_in(p > start ? p - start : 0, transfer));
      };
      const std::uint64_t j0 = first_at(from), j1 = first_at(to);
      if (j0 < j1) {
        const std::uint64_t begin = j0 * transfer;
        const std::uint64_t end = std::min(e.length, j1 * transfer);
        add({e.file, e.file_offset + begin, e.stream_offset + begin, end - begin});
      }
      start += e.length;
    }
  }
  shuffled_ = random;
  if (shuffled_) order_ = Permutation(size_, key);
}

void TransferSequence::add(const Extent& part) {
  pieces_.push_back({part, size_});
  size_ += transfers_in(part.length, transfer_);
  bytes_ += part.length;
}

std::uint64_t TransferSequence::pieces() const {
  if (lazy_files_) return file_count_;
  if (lazy_segments_) return size_ == 0 ? 0 : (g1_ - 1) / per_file_ - g0_ / per_file_ + 1;
  return pieces_.size();
}

Extent TransferSequence::segment_piece(std::uint64_t k) const {
  if (k >= pieces()) {
    throw std::out_of_range("piece " + std::to_string(k) + " of " + std::to_string(pieces()));
  }
  const std::uint64_t index = g0_ / per_file_ + k;
  const Extent e = files_[index];
  const std::uint64_t j0 = k == 0 ? g0_ % per_file_ : 0;
  const std::uint64_t j1 = std::min(g1_, (index + 1) * per_file_) - index * per_file_;
  const std::uint64_t begin = j0 * transfer_, end = std::min(e.length, j1 * transfer_);
  return {e.file, e.file_offset + begin, e.stream_offset + begin, end - begin};
}

Extent TransferSequence::piece(std::uint64_t k) const {
  if (lazy_segments_) return segment_piece(k);
  if (!lazy_files_) return pieces_.at(k).part;
  if (k >= file_count_) {
    throw std::out_of_range("piece " + std::to_string(k) + " of " + std::to_string(file_count_));
  }
  return files_[files_begin_ + (random_files_ ? file_order_(k) : k)];
}

Transfer TransferSequence::at(std::uint64_t i) const {
  if (i >= size_) {
    throw std::out_of_range("transfer " + std::to_string(i) + " of " + std::to_string(size_));
  }
  if (lazy_files_) {
    const Extent e = piece(i / per_file_);
    const std::uint64_t offset = (i % per_file_) * transfer_;
    return {e.file, e.file_offset + offset, e.stream_offset + offset,
            std::min(transfer_, e.length - offset)};
  }
  if (shuffled_) i = order_(i);
  if (lazy_segments_) {
    const std::uint64_t g = g0_ + i;
    const Extent e = files_[g / per_file_];
    const std::uint64_t offset = (g % per_file_) * transfer_;
    return {e.file, e.file_offset + offset, e.stream_offset + offset,
            std::min(transfer_, e.length - offset)};
  }
  // The last piece that starts at or before i: an empty piece shares its `first` with the
  // next one, so this is the non-empty piece that holds i.
  auto it = pieces_.begin();
  if (pieces_.size() > 1) {
    it = std::upper_bound(pieces_.begin(), pieces_.end(), i,
                          [](std::uint64_t v, const Piece& p) { return v < p.first; }) -
         1;
  }
  const std::uint64_t offset = (i - it->first) * transfer_;
  const Extent& e = it->part;
  return {e.file, e.file_offset + offset, e.stream_offset + offset,
          std::min(transfer_, e.length - offset)};
}

std::pair<std::uint64_t, std::uint64_t> TransferSequence::piece_transfers(std::uint64_t k) const {
  if (shuffled_) {
    throw std::logic_error(
        "random order interleaves the transfers of the pieces: no range per piece");
  }
  if (lazy_files_) {
    if (k >= file_count_) {
      throw std::out_of_range("piece " + std::to_string(k) + " of " + std::to_string(file_count_));
    }
    return {k * per_file_, (k + 1) * per_file_};
  }
  if (lazy_segments_) {
    if (k >= pieces()) {
      throw std::out_of_range("piece " + std::to_string(k) + " of " + std::to_string(pieces()));
    }
    const std::uint64_t index = g0_ / per_file_ + k;
    return {std::max(index * per_file_, g0_) - g0_, std::min(g1_, (index + 1) * per_file_) - g0_};
  }
  const Piece& p = pieces_.at(k);
  return {p.first, p.first + transfers_in(p.part.length, transfer_)};
}

}  // namespace dgen::io
