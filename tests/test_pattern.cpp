// Access patterns (io/pattern.hpp): every layout's stream moved exactly once whatever the order,
// thread parts where the storage passes expect them, random orders that are permutations,
// reproducible per seed, and lazy enough for 1e9 transfers.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "buffer/partition.hpp"
#include "io/layout.hpp"
#include "io/pattern.hpp"

namespace {

using dgen::io::Extent;
using dgen::io::Layout;
using dgen::io::LayoutKind;
using dgen::io::Pattern;
using dgen::io::Permutation;
using dgen::io::Transfer;
using dgen::io::TransferSequence;

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGranule = 4096;
constexpr std::uint64_t kSeed = 0x5eed;
const Pattern kPatterns[] = {Pattern::kSequential, Pattern::kRandom, Pattern::kStrided};

Layout shared(std::uint64_t size) {
  Layout l;
  l.kind = LayoutKind::kSharedFile;
  l.path = "/scratch/f";
  l.size_per_rank = size;
  return l;
}

Layout per_rank(std::uint64_t size) {
  Layout l = shared(size);
  l.kind = LayoutKind::kFilePerRank;
  return l;
}

Layout strided(std::uint64_t segments, std::uint64_t block) {
  Layout l = shared(0);
  l.segments = segments;
  l.block = block;
  return l;
}

Layout dataset(std::uint64_t files, std::uint64_t size) {
  Layout l;
  l.kind = LayoutKind::kDataset;
  l.path = "/data/set";
  l.files = files;
  l.file_size = size;
  return l;
}

std::string describe(const Layout& l, int ranks) {
  std::string s = dgen::io::to_string(l.kind);
  if (l.kind == LayoutKind::kDataset)
    s += " " + std::to_string(l.files) + " files of " + std::to_string(l.file_size);
  else if (l.segments > 1 || l.block > 0)
    s += " strided " + std::to_string(l.segments) + " x " + std::to_string(l.block);
  else
    s += " " + std::to_string(l.size_per_rank) + " per rank";
  return s + ", " + std::to_string(ranks) + " ranks";
}

// Where stream byte `s` lives and which rank owns it, from the layouts' definitions
// (docs/storage.md), not from rank_extents: the file, the offset in it, the rank.
std::tuple<std::uint64_t, std::uint64_t, int> home(const Layout& l, int ranks, std::uint64_t s) {
  const auto n = static_cast<std::uint64_t>(ranks);
  switch (l.kind) {
    case LayoutKind::kSharedFile:
      if (l.segments > 1 || l.block > 0) {  // block i*ranks + r is rank r's
        const std::uint64_t block = l.block > 0 ? l.block : l.size_per_rank;
        return {0, s, static_cast<int>(s / block % n)};
      }
      return {0, s, static_cast<int>(s / l.size_per_rank)};
    case LayoutKind::kFilePerRank:
      return {s / l.size_per_rank, s % l.size_per_rank, static_cast<int>(s / l.size_per_rank)};
    case LayoutKind::kDataset:
      break;
  }
  const std::uint64_t k = s / l.file_size;
  int r = 0;
  while (static_cast<std::uint64_t>(r + 1) * l.files / n <= k) ++r;  // [r*N/ranks, (r+1)*N/ranks)
  return {k, s % l.file_size, r};
}

std::vector<Transfer> all(const TransferSequence& seq) {
  std::vector<Transfer> v;
  v.reserve(seq.size());
  for (std::uint64_t i = 0; i < seq.size(); ++i) v.push_back(seq.at(i));
  return v;
}

bool same(const std::vector<Transfer>& a, const std::vector<Transfer>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const Transfer& x, const Transfer& y) {
                      return x.file == y.file && x.file_offset == y.file_offset &&
                             x.stream_offset == y.stream_offset && x.length == y.length;
                    });
}

// Above this many transfers a case is skipped: 1-byte transfers over MiBs would take seconds
// and find nothing the 4097-byte cases do not.
constexpr std::uint64_t kMaxTransfers = 400000;

// Every property of one layout, rank count, transfer size, thread count and pattern. Stops at
// the first broken property (a broken split would otherwise print a million lines).
void check(const Layout& l, int ranks, std::uint64_t transfer, int threads, Pattern pattern,
           std::uint64_t granule = kGranule) {
  const unsigned __int128 stream = dgen::io::stream_length(l, ranks);
  if (stream / transfer > kMaxTransfers) return;
  SCOPED_TRACE(describe(l, ranks) + ", transfer " + std::to_string(transfer) + ", " +
               std::to_string(threads) + " threads, " + dgen::io::to_string(pattern) +
               ", granule " + std::to_string(granule));
  const bool whole_files = l.kind == LayoutKind::kDataset;
  // One extent (also a strided file of one segment): split as today, on the granule.
  const bool one_extent = !whole_files && dgen::io::rank_extents(l, 0, ranks).size() == 1;
  const std::uint64_t block = dgen::io::strided_block(l);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // stream offset, length
  for (int r = 0; r < ranks; ++r) {
    const std::vector<Extent> extents = dgen::io::rank_extents(l, r, ranks);
    std::uint64_t rank_total = 0;
    std::uint64_t previous_end = 0;  // strided: the end of the last thread's last transfer
    for (int t = 0; t < threads; ++t) {
      SCOPED_TRACE("rank " + std::to_string(r) + " thread " + std::to_string(t));
      const TransferSequence seq(extents, whole_files, transfer, granule, threads, t, pattern,
                                 kSeed, r);
      const std::vector<Transfer> moved = all(seq);
      std::uint64_t bytes = 0, lowest = UINT64_MAX, highest = 0;
      for (const Transfer& x : moved) {
        if (x.length == 0 || x.length > transfer) {
          ADD_FAILURE() << "a transfer of " << x.length << " bytes at " << x.stream_offset;
          return;
        }
        const std::uint64_t last = x.stream_offset + x.length - 1;
        const auto [file, offset, owner] = home(l, ranks, x.stream_offset);
        const auto [last_file, last_offset, last_owner] = home(l, ranks, last);
        if (last >= stream || file != x.file || offset != x.file_offset || owner != r ||
            last_file != file || last_offset != offset + x.length - 1 || last_owner != r) {
          ADD_FAILURE() << "stream bytes [" << x.stream_offset << ", " << last + 1
                        << ") moved to file " << x.file << " at " << x.file_offset
                        << "; the layout puts them in file " << file << " at " << offset
                        << " (rank " << owner << ") to file " << last_file << " at " << last_offset
                        << " (rank " << last_owner << ")";
          return;
        }
        // Strided transfers run from their block's start, a dataset's from its file's start.
        if (whole_files && x.file_offset % transfer != 0) {
          ADD_FAILURE() << "a transfer at " << x.file_offset << " off its file's transfer grid";
          return;
        }
        if (!one_extent && !whole_files &&
            (x.stream_offset % block % transfer != 0 || x.stream_offset / block != last / block)) {
          ADD_FAILURE() << "a transfer at " << x.stream_offset << " off its block's grid or "
                        << "across a block boundary";
          return;
        }
        bytes += x.length;
        lowest = std::min(lowest, x.stream_offset);
        highest = std::max(highest, last + 1);
        spans.emplace_back(x.stream_offset, x.length);
      }
      EXPECT_EQ(bytes, seq.bytes());
      rank_total += bytes;
      if (one_extent) {
        // Today's split: part_of with the granule, transfers from the part's start.
        const dgen::buffer::Part part =
            dgen::buffer::part_of(extents[0].length, threads, t, granule);
        EXPECT_EQ(bytes, part.size());
        if (!moved.empty()) {
          EXPECT_EQ(lowest - extents[0].stream_offset, part.begin);
          EXPECT_EQ((lowest - extents[0].stream_offset) % granule, 0u);
          for (const Transfer& x : moved) {
            if ((x.stream_offset - lowest) % transfer != 0) {
              ADD_FAILURE() << "a transfer at " << x.stream_offset << " off the part's grid";
              return;
            }
          }
        }
      } else if (!whole_files) {
        // Strided: contiguous runs of the rank's transfers, balanced to within a transfer.
        const std::uint64_t even = dgen::io::rank_bytes(l, r, ranks) / threads;
        EXPECT_LE(bytes, even + transfer + 1);
        EXPECT_GE(bytes + transfer + 1, even);
        if (!moved.empty()) {
          EXPECT_GE(lowest, previous_end) << "threads' runs out of order or overlapping";
          previous_end = highest;
        }
      } else {
        // Datasets: the thread's block of whole files, each file's transfers consecutive and in
        // order, files in order unless random.
        const dgen::buffer::Part mine = dgen::buffer::part_of(extents.size(), threads, t, 1);
        ASSERT_EQ(seq.pieces(), mine.size());
        std::set<std::uint64_t> files;
        std::uint64_t next = 0;
        for (std::uint64_t k = 0; k < seq.pieces(); ++k) {
          const Extent p = seq.piece(k);
          EXPECT_EQ(p.file_offset, 0u);
          EXPECT_EQ(p.length, l.file_size);
          if (pattern != Pattern::kRandom) EXPECT_EQ(p.file, extents[mine.begin + k].file);
          files.insert(p.file);
          const auto [first, end] = seq.piece_transfers(k);
          EXPECT_EQ(first, next);
          next = end;
          for (std::uint64_t i = first; i < end; ++i) {
            const Transfer x = seq.at(i);
            if (x.file != p.file || x.file_offset != (i - first) * transfer) {
              ADD_FAILURE() << "transfer " << i << " is not file " << p.file << "'s next";
              return;
            }
          }
        }
        EXPECT_EQ(next, seq.size());
        std::set<std::uint64_t> block_files;
        for (std::uint64_t k = mine.begin; k < mine.end; ++k) block_files.insert(extents[k].file);
        EXPECT_EQ(files, block_files);
      }
      if (pattern == Pattern::kRandom) {
        // The same for the same seed, another for another seed, not the sequential order (that
        // it moves each transfer once, the union below checks); "more than a few": a fixed order of
        // 16 or more happens by chance with probability below 1e-13.
        const auto sequential = all(TransferSequence(extents, whole_files, transfer, granule,
                                                     threads, t, Pattern::kSequential, kSeed, r));
        const auto again = all(TransferSequence(extents, whole_files, transfer, granule, threads, t,
                                                Pattern::kRandom, kSeed, r));
        const auto other = all(TransferSequence(extents, whole_files, transfer, granule, threads, t,
                                                Pattern::kRandom, kSeed + 1, r));
        EXPECT_TRUE(same(moved, again)) << "not reproducible";
        const std::uint64_t shuffled = whole_files ? seq.pieces() : seq.size();
        if (shuffled >= 16) {
          EXPECT_FALSE(same(moved, sequential)) << "random in sequential order";
          EXPECT_FALSE(same(moved, other)) << "another seed, the same order";
        }
      }
    }
    EXPECT_EQ(rank_total, dgen::io::rank_bytes(l, r, ranks));
  }
  // The union over ranks and threads: every stream byte once, no overlap, no gap.
  std::sort(spans.begin(), spans.end());
  std::uint64_t next = 0;
  for (const auto& [offset, length] : spans) {
    if (offset != next) {
      ADD_FAILURE() << (offset < next ? "overlap" : "gap") << " at stream byte "
                    << std::min(offset, next);
      return;
    }
    next = offset + length;
  }
  EXPECT_TRUE(next == stream) << "covered " << next << " bytes of the stream";
}

const std::uint64_t kSizes[] = {1, 4095, 4097, kMiB + 4097};
const std::uint64_t kTransfers[] = {1, 4096, kMiB, 3000};
const int kThreads[] = {1, 2, 3, 7};
const int kRanks[] = {1, 2, 3, 5};

TEST(Pattern, SharedFileAndFilePerRankMoveEveryByteOnce) {
  for (std::uint64_t size : kSizes)
    for (int ranks : kRanks)
      for (std::uint64_t transfer : kTransfers)
        for (int threads : kThreads)
          for (Pattern p : kPatterns) {
            check(shared(size), ranks, transfer, threads, p);
            check(per_rank(size), ranks, transfer, threads, p);
          }
}

TEST(Pattern, ThreadPartsStartOnTheGranule) {
  // Direct-I/O alignments beside the page: part_of's boundaries, whatever the transfer.
  for (std::uint64_t granule : {std::uint64_t{1}, std::uint64_t{512}, kMiB})
    for (std::uint64_t size : {std::uint64_t{4097}, kMiB + 4097, 3 * kMiB})
      for (int threads : kThreads)
        for (Pattern p : kPatterns) {
          check(shared(size), 3, 4096, threads, p, granule);
          check(per_rank(size), 2, 3000, threads, p, granule);
        }
}

TEST(Pattern, StridedMovesEveryByteOnce) {
  for (std::uint64_t segments : {1, 2, 7})
    for (std::uint64_t block : kSizes)
      for (int ranks : kRanks)
        for (std::uint64_t transfer : kTransfers)
          for (int threads : kThreads)
            for (Pattern p : kPatterns)
              check(strided(segments, block), ranks, transfer, threads, p);
}

TEST(Pattern, DatasetsMoveEveryByteOnceInWholeFiles) {
  for (std::uint64_t files : {1, 7, 1000})
    for (std::uint64_t size : {1, 300001})
      for (int ranks : kRanks)
        for (std::uint64_t transfer : kTransfers)
          for (int threads : kThreads)
            for (Pattern p : kPatterns) check(dataset(files, size), ranks, transfer, threads, p);
}

TEST(Pattern, StridedBlocksInterleaveTheRanksLikeIor) {
  // IOR -s 3 -b 10 with 2 ranks: r0 r1 r0 r1 r0 r1, each block in transfers of 4 (4, 4, 2).
  const Layout l = strided(3, 10);
  const auto extents = dgen::io::rank_extents(l, 1, 2);
  const TransferSequence seq(extents, false, 4, kGranule, 1, 0, Pattern::kStrided, kSeed, 1);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
  for (const Transfer& x : all(seq)) {
    EXPECT_EQ(x.file_offset, x.stream_offset);
    got.emplace_back(x.stream_offset, x.length);
  }
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {
      {10, 4}, {14, 4}, {18, 2}, {30, 4}, {34, 4}, {38, 2}, {50, 4}, {54, 4}, {58, 2}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(seq.pieces(), 3u);
}

TEST(Pattern, ThreadsAndRanksShuffleDifferently) {
  // Two threads (and two ranks) with the same number of files: the order of the files relative
  // to each block's first differs, since the key hashes rank and thread.
  const Layout l = dataset(128, 1);
  std::set<std::vector<std::uint64_t>> orders;
  for (int r = 0; r < 2; ++r) {
    const auto extents = dgen::io::rank_extents(l, r, 2);
    for (int t = 0; t < 2; ++t) {
      const TransferSequence seq(extents, true, 1, kGranule, 2, t, Pattern::kRandom, kSeed, r);
      std::vector<std::uint64_t> order;
      for (std::uint64_t k = 0; k < seq.pieces(); ++k)
        order.push_back(seq.piece(k).file - extents[static_cast<std::size_t>(t) * 32].file);
      orders.insert(order);
    }
  }
  EXPECT_EQ(orders.size(), 4u);
  EXPECT_NE(dgen::io::order_key(kSeed, 0, 1), dgen::io::order_key(kSeed, 1, 0));
}

// A dataset's files are computed from their index (rank_extents gives a regular list): the
// sequence a thread moves is the one the same extents give as a plain list, transfer by
// transfer and file by file, in both orders; and a billion files take no memory.
TEST(Pattern, ADatasetsFilesAreComputedNotListed) {
  for (const Pattern order : {Pattern::kSequential, Pattern::kRandom}) {
    for (const std::uint64_t transfer : {1ULL, 7ULL, 4096ULL}) {
      const Layout l = dataset(1001, 1000);
      for (int r = 0; r < 3; ++r) {
        const dgen::io::ExtentList computed = dgen::io::rank_extents(l, r, 3);
        ASSERT_TRUE(computed.uniform());
        const std::vector<Extent> listed = computed;
        ASSERT_EQ(listed.size(), computed.size());
        for (int t = 0; t < 4; ++t) {
          const TransferSequence a(computed, true, transfer, kGranule, 4, t, order, kSeed, r);
          const TransferSequence b(listed, true, transfer, kGranule, 4, t, order, kSeed, r);
          ASSERT_EQ(a.size(), b.size());
          ASSERT_EQ(a.bytes(), b.bytes());
          ASSERT_EQ(a.pieces(), b.pieces());
          for (std::uint64_t k = 0; k < a.pieces(); ++k) {
            EXPECT_EQ(a.piece(k).file, b.piece(k).file);
            EXPECT_EQ(a.piece_transfers(k), b.piece_transfers(k));
          }
          for (std::uint64_t i = 0; i < a.size(); ++i) {
            const Transfer x = a.at(i), y = b.at(i);
            ASSERT_EQ(x.file, y.file);
            ASSERT_EQ(x.file_offset, y.file_offset);
            ASSERT_EQ(x.stream_offset, y.stream_offset);
            ASSERT_EQ(x.length, y.length);
          }
          EXPECT_THROW(a.piece(a.pieces()), std::out_of_range);
        }
      }
    }
  }
  const dgen::io::ExtentList billion = dgen::io::rank_extents(dataset(1000000000, 1), 1, 2);
  EXPECT_EQ(billion.size(), 500000000u);
  EXPECT_EQ(billion[499999999].file, 999999999u);
  const TransferSequence last(billion, true, 1, kGranule, 2, 1, Pattern::kRandom, kSeed, 1);
  EXPECT_EQ(last.pieces(), 250000000u);
  EXPECT_GE(last.piece(0).file, 750000000u);
}

// A strided file's segments are computed too: a thread's transfers and pieces are those the
// same extents give as a plain list, in every order; a billion segments take no memory.
TEST(Pattern, StridedSegmentsAreComputedNotListed) {
  for (const Pattern order : {Pattern::kStrided, Pattern::kRandom}) {
    for (const std::uint64_t transfer : {1ULL, 3ULL, 64ULL, 1000ULL}) {
      for (const std::uint64_t block : {5ULL, 64ULL, 333ULL}) {
        const Layout l = strided(37, block);
        for (int r = 0; r < 3; ++r) {
          const dgen::io::ExtentList computed = dgen::io::rank_extents(l, r, 3);
          ASSERT_TRUE(computed.uniform());
          const std::vector<Extent> listed = computed;
          for (int threads : {1, 4, 7}) {
            for (int t = 0; t < threads; ++t) {
              SCOPED_TRACE(std::to_string(transfer) + " " + std::to_string(block) + " " +
                           std::to_string(t) + "/" + std::to_string(threads));
              const TransferSequence a(computed, false, transfer, kGranule, threads, t, order,
                                       kSeed, r);
              const TransferSequence b(listed, false, transfer, kGranule, threads, t, order, kSeed,
                                       r);
              ASSERT_EQ(a.size(), b.size());
              ASSERT_EQ(a.bytes(), b.bytes());
              ASSERT_EQ(a.pieces(), b.pieces());
              for (std::uint64_t k = 0; k < a.pieces(); ++k) {
                const Extent x = a.piece(k), y = b.piece(k);
                EXPECT_EQ(x.file_offset, y.file_offset);
                EXPECT_EQ(x.stream_offset, y.stream_offset);
                EXPECT_EQ(x.length, y.length);
                if (order != Pattern::kRandom)
                  EXPECT_EQ(a.piece_transfers(k), b.piece_transfers(k));
              }
              for (std::uint64_t i = 0; i < a.size(); ++i) {
                const Transfer x = a.at(i), y = b.at(i);
                ASSERT_EQ(x.file_offset, y.file_offset);
                ASSERT_EQ(x.stream_offset, y.stream_offset);
                ASSERT_EQ(x.length, y.length);
              }
            }
          }
        }
      }
    }
  }
  const TransferSequence huge(dgen::io::rank_extents(strided(1000000000, 4096), 1, 2), false, 4096,
                              kGranule, 2, 1, Pattern::kStrided, kSeed, 1);
  EXPECT_EQ(huge.size(), 500000000u);
  EXPECT_EQ(huge.at(huge.size() - 1).stream_offset, (999999999ULL * 2 + 1) * 4096);
}

TEST(Pattern, ABillionTransfersAreLazy) {
  // 1e9 transfers of one byte: no vector of them (it would take 32 GB), each at() in range.
  const std::vector<Extent> extents = {{0, 0, 0, 1000000000ULL}};
  std::uint64_t transfers = 0, bytes = 0;
  for (int t = 0; t < 3; ++t) {
    const TransferSequence seq(extents, false, 1, kGranule, 3, t, Pattern::kRandom, kSeed, 0);
    const dgen::buffer::Part part = dgen::buffer::part_of(1000000000ULL, 3, t, kGranule);
    transfers += seq.size();
    bytes += seq.bytes();
    std::set<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < seq.size(); i += seq.size() / 100000) {
      const Transfer x = seq.at(i);
      EXPECT_GE(x.stream_offset, part.begin);
      EXPECT_LT(x.stream_offset, part.end);
      EXPECT_EQ(x.length, 1u);
      EXPECT_TRUE(seen.insert(x.stream_offset).second) << "twice: " << x.stream_offset;
    }
  }
  EXPECT_EQ(transfers, 1000000000ULL);
  EXPECT_EQ(bytes, 1000000000ULL);
}

TEST(Pattern, RefusesWhatIsNotASequence) {
  const std::vector<Extent> extents = {{0, 0, 0, 100}};
  EXPECT_THROW(TransferSequence(extents, false, 0, kGranule, 1, 0, Pattern::kSequential, 0, 0),
               std::invalid_argument);
  EXPECT_THROW(TransferSequence(extents, false, 10, 0, 1, 0, Pattern::kSequential, 0, 0),
               std::invalid_argument);
  EXPECT_THROW(TransferSequence(extents, false, 10, kGranule, 2, 2, Pattern::kSequential, 0, 0),
               std::invalid_argument);
  EXPECT_THROW(TransferSequence(extents, false, 10, kGranule, 0, 0, Pattern::kSequential, 0, 0),
               std::invalid_argument);
  const TransferSequence seq(extents, false, 10, kGranule, 1, 0, Pattern::kRandom, 0, 0);
  EXPECT_EQ(seq.size(), 10u);
  EXPECT_THROW(seq.at(10), std::out_of_range);
  // Random over one extent interleaves nothing per piece but has no ordered range either.
  EXPECT_THROW(seq.piece_transfers(0), std::logic_error);
  const TransferSequence in_order(extents, false, 10, kGranule, 1, 0, Pattern::kSequential, 0, 0);
  EXPECT_EQ(in_order.piece_transfers(0), std::make_pair(std::uint64_t{0}, std::uint64_t{10}));
}

TEST(Pattern, EmptyDatasetFilesArePiecesWithoutTransfers) {
  // A file of 0 bytes still has to be created: it is a piece with an empty range.
  const std::vector<Extent> extents = {{0, 0, 0, 5}, {1, 0, 5, 0}, {2, 0, 5, 3}};
  for (Pattern p : kPatterns) {
    const TransferSequence seq(extents, true, 2, kGranule, 1, 0, p, kSeed, 0);
    ASSERT_EQ(seq.pieces(), 3u);
    EXPECT_EQ(seq.size(), 5u);  // 2 + 2 + 1, 0, 2 + 1
    std::uint64_t covered = 0;
    for (std::uint64_t k = 0; k < 3; ++k) {
      const auto [first, end] = seq.piece_transfers(k);
      for (std::uint64_t i = first; i < end; ++i) EXPECT_EQ(seq.at(i).file, seq.piece(k).file);
      covered += end - first;
    }
    EXPECT_EQ(covered, 5u);
  }
}

TEST(Pattern, NamesRoundTripAndUnknownOnesAreRefused) {
  for (Pattern p : kPatterns) EXPECT_EQ(dgen::io::parse_pattern(dgen::io::to_string(p)), p);
  EXPECT_STREQ(dgen::io::to_string(Pattern::kRandom), "random");
  try {
    dgen::io::parse_pattern("shuffled");
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("shuffled"), std::string::npos) << what;
    for (const char* name : {"sequential", "random", "strided"})
      EXPECT_NE(what.find(name), std::string::npos) << what;
  }
  EXPECT_THROW(dgen::io::parse_pattern(""), std::invalid_argument);
  EXPECT_THROW(dgen::io::parse_pattern("Random"), std::invalid_argument);
}

TEST(Permutation, IsABijectionAtAwkwardCounts) {
  for (std::uint64_t count :
       {1ULL, 2ULL, 3ULL, 4ULL, 5ULL, 7ULL, 1000ULL, 1023ULL, 1024ULL, 1025ULL, (1ULL << 20) + 1})
    for (std::uint64_t seed : {0ULL, 1ULL, 0xdeadbeefULL, ~0ULL}) {
      const Permutation p(count, seed);
      EXPECT_EQ(p.count(), count);
      std::vector<bool> seen(count);
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t v = p(i);
        ASSERT_LT(v, count) << "count " << count << " seed " << seed << " i " << i;
        ASSERT_FALSE(seen[v]) << "count " << count << " seed " << seed << ": " << v << " twice";
        seen[v] = true;
      }
      EXPECT_THROW(p(count), std::out_of_range);
    }
}

TEST(Permutation, LooksShuffled) {
  // A shuffle of 2^20+1 has about one fixed point and one pair of neighbours kept together;
  // a weak round function (the identity, a rotation, an xor) has hundreds of thousands.
  const std::uint64_t count = (1ULL << 20) + 1;
  const Permutation p(count, kSeed);
  std::uint64_t fixed = 0, neighbours = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    fixed += p(i) == i ? 1 : 0;
    if (i + 1 < count) neighbours += p(i + 1) == p(i) + 1 ? 1 : 0;
  }
  EXPECT_LT(fixed, 20u);
  EXPECT_LT(neighbours, 20u);
  // Seeds 0 and 1 (close keys) give unrelated orders: about 1 position in 1000 agrees.
  const Permutation a(1000, 0), b(1000, 1);
  int agree = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) agree += a(i) == b(i) ? 1 : 0;
  EXPECT_LT(agree, 20);
}

TEST(Permutation, HugeCountsNeedNoTable) {
  // 1e12 values (a table would be 8 TB): four million images, in range and distinct. The time
  // this takes is the smoke test of speed: no assertion on it.
  for (std::uint64_t count : {1000000000000ULL, 1ULL << 63, ~0ULL}) {
    const Permutation p(count, kSeed);
    std::vector<std::uint64_t> images;
    const std::uint64_t n = count == 1000000000000ULL ? 2000000 : 100000;
    images.reserve(2 * n);
    for (std::uint64_t i = 0; i < n; ++i) {
      images.push_back(p(i));                  // the first values
      images.push_back(p(count - 1 - i * 7));  // and some near the top
    }
    for (std::uint64_t v : images) ASSERT_LT(v, count);
    std::sort(images.begin(), images.end());
    EXPECT_EQ(std::adjacent_find(images.begin(), images.end()), images.end()) << count;
  }
}

}  // namespace
