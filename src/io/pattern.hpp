// Access patterns of a storage benchmark: in which order a thread moves its transfers. The
// bytes are a function of the stream offset, so every pattern writes the same file; only the
// order of the calls (and, strided, which rank holds which bytes: io::Layout) differs. Pure
// functions of their arguments: no MPI, no I/O, no table of transfers (a rank may have 1e9).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "io/layout.hpp"

namespace dgen::io {

/// The order of a thread's transfers. Strided is a layout (Layout::segments/block, IOR -s/-b)
/// whose thread moves its transfers in order: as a TransferSequence order it is sequential.
enum class Pattern { kSequential, kRandom, kStrided };

/// "sequential", "random" or "strided".
const char* to_string(Pattern pattern);

/// The pattern named `name`; throws std::invalid_argument naming the accepted values.
Pattern parse_pattern(std::string_view name);

/// A bijection of [0, count) keyed by `seed`: a small Feistel network over the next power of
/// two with cycle walking, so any count up to 2^64 - 1 works without a table (1e9 transfers must
/// not allocate). permute(i) for i in [0,count) visits every value exactly once.
class Permutation {
 public:
  /// The permutation of [0, count) that `seed` selects (count 0: the empty one).
  Permutation(std::uint64_t count, std::uint64_t seed);
  /// The image of `i`; throws std::out_of_range for i >= count (its cycle may never re-enter).
  std::uint64_t operator()(std::uint64_t i) const;
  /// The size of the domain.
  std::uint64_t count() const { return count_; }

 private:
  static constexpr int kRounds = 6;  // even (rounds go in pairs); small domains look shuffled
  std::uint64_t feistel(std::uint64_t x) const;
  std::uint64_t count_;
  int high_bits_ = 0;  // widths of the two halves of the power-of-two domain
  int low_bits_ = 0;
  std::uint64_t keys_[kRounds] = {};
};

/// The key of thread `thread` of rank `rank`'s random order: `seed` ^ a hash of (rank, thread),
/// so that threads and ranks move their transfers in unrelated orders of one seed.
std::uint64_t order_key(std::uint64_t seed, int rank, int thread);

/// One transfer: `length` bytes of the stream at `stream_offset`, stored at `file_offset` of
/// file `file` (the layout's file index) -- the same fields as io::Extent.
using Transfer = Extent;

/// The transfers thread `thread` of `threads` of one rank moves, in the order it moves them.
///
/// The split among threads, from the rank's extents (io::rank_extents):
/// - one extent (a shared file, a rank's file, a strided file of one segment): thread t takes
///   buffer::part_of(length, threads, t, granule) of it, so its part starts on a multiple of
///   `granule` (a page, or the direct-I/O alignment), and its transfers run from there: what
///   mpi/storage.cpp does today;
/// - several extents (the strided shared file): the rank's transfers are those of each extent in
///   turn (from the extent's start, the last one of each extent short); thread t takes the
///   contiguous run of them that start in bytes [t*B/threads, (t+1)*B/threads) of the rank's B
///   bytes, so threads differ by less than a transfer. Parts start where a transfer of their
///   extent starts, not on `granule`: with direct I/O, block and transfer must be aligned;
/// - `whole_files_per_thread` (a dataset): thread t takes the t-th contiguous block of the
///   extents, buffer::part_of(extents, threads, t, 1), each file whole.
///
/// The order: sequential (and strided) in that order. Random, one extent or several: the
/// thread's transfers permuted by Permutation(size(), order_key(seed, rank, thread)), every
/// transfer exactly once (IOR -z, fio rw=randwrite/randread). Random, whole files: the ORDER OF
/// THE FILES in the thread's block is permuted (same key) and each file's transfers stay
/// sequential and consecutive: a dataset file is opened, written whole, closed and renamed
/// before the next, so a rename never publishes a file that has transfers still to come.
///
/// Lazy: at(i) computes transfer i from the thread's pieces (its parts of extents: one, or one
/// per segment or file it holds), never a vector of all transfers.
class TransferSequence {
 public:
  /// Throws std::invalid_argument for a transfer or granule of 0, threads < 1, or a thread
  /// outside [0, threads).
  TransferSequence(const ExtentList& rank_extents, bool whole_files_per_thread,
                   std::uint64_t transfer, std::uint64_t granule, int threads, int thread,
                   Pattern order, std::uint64_t seed, int rank);
  /// Transfers of this thread.
  std::uint64_t size() const { return size_; }
  /// The i-th transfer this thread moves; throws std::out_of_range for i >= size().
  Transfer at(std::uint64_t i) const;
  /// Their total length.
  std::uint64_t bytes() const { return bytes_; }

  /// The contiguous parts of extents this thread moves (whole files: its files, also empty
  /// ones, in the order it moves them; otherwise the non-empty parts, in stream order).
  std::uint64_t pieces() const;
  /// Piece `k` as an extent (file, file_offset, stream_offset, length of this thread's part).
  Extent piece(std::uint64_t k) const;
  /// The indices [first, last) of at() that piece `k`'s transfers have, in order: what a
  /// storage pass loops over per file. Throws std::logic_error where pieces are not moved one
  /// after another (random order without whole files: transfers of all pieces interleave).
  std::pair<std::uint64_t, std::uint64_t> piece_transfers(std::uint64_t k) const;

 private:
  struct Piece {
    Extent part;
    std::uint64_t first;  // index in the unpermuted sequence of its first transfer
  };
  void add(const Extent& part);
  std::vector<Piece> pieces_;
  std::uint64_t transfer_;
  std::uint64_t size_ = 0;
  std::uint64_t bytes_ = 0;
  bool shuffled_ = false;  // at(i) maps i through order_ first
  Permutation order_{0, 0};
  // Whole files of one length (a dataset): its files, computed from the index, never listed:
  // piece k is extent files_begin_ + k (or + file_order_(k)), transfers [k, k + 1) * per_file_.
  bool lazy_files_ = false;
  ExtentList files_;
  std::uint64_t files_begin_ = 0, file_count_ = 0, per_file_ = 0;
  bool random_files_ = false;
  Permutation file_order_{0, 0};
  // Extents of one length (a strided file's segments): the thread's transfers are the rank's
  // transfers [g0_, g1_), transfer g in extent g / per_file_ of files_; never listed.
  bool lazy_segments_ = false;
  std::uint64_t g0_ = 0, g1_ = 0;
  Extent segment_piece(std::uint64_t k) const;
};

}  // namespace dgen::io
