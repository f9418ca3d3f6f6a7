// How a rank walks its share of the files: in rounds of pieces, each a multiple of the
// alignment from its file's start, or a run of pieces wholly in a hole (counted as zeros).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "analyze/dataset.hpp"

namespace dgen::analyze {

/// A piece of a file one thread reads and scans at once, or a run of pieces the walk found
/// wholly in a hole, counted as zeros (where data is found there now, it is read).
struct Piece {
  std::size_t file = 0;
  std::uint64_t offset = 0, length = 0;
  bool hole = false;
};

/// The rank's share, handed out in rounds of pieces.
class PieceCursor {
 public:
  /// `files` must outlive the cursor.
  PieceCursor(std::vector<FileExtent> share, const std::vector<InputFile>& files,
              std::uint64_t alignment);
  /// Whether every piece has been taken.
  bool done() const { return next_ >= share_.size(); }
  /// Pieces of at most `bytes` to read in all, a hole counting as one piece (at least one piece
  /// when any is left).
  std::vector<Piece> take(std::uint64_t bytes);

 private:
  void enter();
  std::vector<FileExtent> share_;
  const std::vector<InputFile>& files_;
  std::uint64_t alignment_;
  std::size_t next_ = 0;
  std::uint64_t at_ = 0;
  std::vector<Span> runs_;
  std::size_t run_ = 0;
};

}  // namespace dgen::analyze
