// Where the stream's bytes go: one shared file, a file per rank, or a dataset of many files.
// Every layout holds the one stream; this maps a rank's share of it to files and offsets. A
// pure function of (layout, ranks): no MPI, no file system.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace dgen::io {

/// The three ways a job's stream is laid out in files.
enum class LayoutKind {
  kSharedFile,   ///< PATH; rank r owns bytes [r*size, (r+1)*size), or strided (Layout::block)
  kFilePerRank,  ///< PATH.00000000, PATH.00000001, ...: rank r's bytes, in name order
  kDataset,      ///< N files of SIZE under directory PATH; file k holds [k*SIZE, (k+1)*SIZE)
};

/// "shared-file", "file-per-rank" or "dataset".
const char* to_string(LayoutKind kind);

/// The layout and its sizes.
struct Layout {
  LayoutKind kind = LayoutKind::kSharedFile;
  std::string path;                    ///< the file, the name prefix, or the dataset directory
  std::uint64_t size_per_rank = 0;     ///< shared file and file per rank
  std::uint64_t files = 0;             ///< dataset: N
  std::uint64_t file_size = 0;         ///< dataset: bytes per file
  std::uint64_t files_per_dir = 1000;  ///< dataset: files per subdirectory, at most
  /// Shared file, strided (IOR -s/-b, segmented N-to-1): with segments > 1 or block > 0, rank r
  /// owns [(i*ranks + r)*block, +block) for i in [0, segments). block 0 takes size_per_rank,
  /// so that segments = 1 with block 0 is the plain shared file.
  std::uint64_t segments = 1;
  std::uint64_t block = 0;  ///< strided: bytes a rank writes per segment; 0: size_per_rank
  /// Dataset: each rank's block of files under a directory of its own, PATH/r%08d/dD/fF (mdtest
  /// -u); `ranks` (the job's) then tells whose file k is.
  bool unique_dirs = false;
  int ranks = 1;
};

/// Whether the layout is the strided shared file (segments > 1 or block > 0). Throws
/// std::invalid_argument where segments/block are set for a layout other than a shared file, or
/// segments is 0: the layout functions below refuse such a layout rather than ignore it.
bool is_strided(const Layout& layout);

/// The bytes rank r writes per segment of a strided layout (block, or size_per_rank for 0).
std::uint64_t strided_block(const Layout& layout);

/// One contiguous piece of a rank's share: stream bytes [stream_offset, stream_offset + length)
/// at `file_offset` in file `file`.
struct Extent {
  std::uint64_t file = 0;
  std::uint64_t file_offset = 0;
  std::uint64_t stream_offset = 0;
  std::uint64_t length = 0;
};

/// A rank's extents, in stream order, each computed when asked: a dataset's billion files or a
/// strided file's billion segments take no memory (the extents of those layouts follow one
/// another at fixed steps). Also a plain list, for any extents.
class ExtentList {
 public:
  ExtentList() = default;
  /// These extents, as given (kept in a vector).
  ExtentList(std::vector<Extent> list);  // NOLINT(google-explicit-constructor)
  /// `count` extents of `first.length` bytes: extent i has file first.file + i * file_step,
  /// file offset first.file_offset + i * offset_step, stream offset first.stream_offset + i *
  /// stream_step.
  static ExtentList regular(std::uint64_t count, const Extent& first, std::uint64_t file_step,
                            std::uint64_t offset_step, std::uint64_t stream_step);
  std::uint64_t size() const { return regular_ ? count_ : list_.size(); }
  bool empty() const { return size() == 0; }
  /// Extent i (no bounds check but for at()).
  Extent operator[](std::uint64_t i) const;
  Extent at(std::uint64_t i) const;
  /// Whether every extent has the same length (a regular list), so that position and length
  /// follow from the index alone.
  bool uniform() const { return regular_; }
  /// Every extent, materialized (for small lists and tests).
  operator std::vector<Extent>() const;  // NOLINT(google-explicit-constructor)

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Extent;
    using difference_type = std::ptrdiff_t;
    using pointer = const Extent*;
    using reference = Extent;
    const_iterator(const ExtentList* list, std::uint64_t i) : list_(list), i_(i) {}
    Extent operator*() const { return (*list_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const ExtentList* list_;
    std::uint64_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

 private:
  std::vector<Extent> list_;
  bool regular_ = false;
  std::uint64_t count_ = 0, file_step_ = 0, offset_step_ = 0, stream_step_ = 0;
  Extent first_;
};

/// The number of files the job's layout has with `ranks` ranks.
std::uint64_t file_count(const Layout& layout, int ranks);

/// The path of file `file`: PATH, PATH.%08d, or PATH/dDDD/fFFFFFF (widths from the counts, so
/// that sorting the relative paths sorts the files in stream order).
std::string file_path(const Layout& layout, std::uint64_t file);

/// The length file `file` has when the job is done.
std::uint64_t file_length(const Layout& layout, std::uint64_t file, int ranks);

/// The dataset's subdirectories, in order (empty for the other layouts).
std::vector<std::string> dataset_directories(const Layout& layout);

/// The files rank `rank` of `ranks` writes: for a dataset a contiguous block,
/// [rank*N/ranks, (rank+1)*N/ranks); otherwise one file (shared: file 0).
std::pair<std::uint64_t, std::uint64_t> rank_files(const Layout& layout, int rank, int ranks);

/// Rank `rank`'s share of the stream as extents, in stream order (strided: one per segment; a
/// dataset: one per file), computed on demand.
ExtentList rank_extents(const Layout& layout, int rank, int ranks);

/// The bytes of rank `rank`'s share.
std::uint64_t rank_bytes(const Layout& layout, int rank, int ranks);

/// The whole stream's length (a dataset: N * SIZE), as 128 bits so that an overflow shows.
unsigned __int128 stream_length(const Layout& layout, int ranks);

}  // namespace dgen::io
