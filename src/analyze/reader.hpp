// How a thread reads its pieces of the files: each file opened once in turn, a piece read whole
// (pread, retried on EINTR) and scanned, and a piece the walk found in a hole checked again for
// data (SEEK_DATA) and otherwise counted as zeros. A file that cannot be read is skipped by the
// rank that meets it, counted and named (--strict: the failure ends the job).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "analyze/cursor.hpp"
#include "analyze/dataset.hpp"
#include "analyze/scan.hpp"

namespace dgen::analyze {

/// What ended the reading of a file: where, the call and the OS error (0: the file ended
/// before its listed size). what() is the line --strict ends the job with.
class ReadFailure : public std::runtime_error {
 public:
  ReadFailure(const std::string& path, std::string call, std::uint64_t offset, int err);
  /// The OS error's text, or why a file with no error failed.
  static std::string reason(int err);
  /// As the report names it: "cannot open", "read at offset N".
  std::string what_failed() const;
  /// Where reading failed.
  std::uint64_t offset() const { return offset_; }
  /// The OS error (errno), 0 when the file ended early.
  int error() const { return err_; }

 private:
  std::string call_;
  std::uint64_t offset_;
  int err_;
};

/// Sorts `list` in walk order (by the files listed before; a directory before the file listed
/// after it; a file's first failing offset first) and keeps one entry per path, at most
/// kUnreadableNamed.
void keep_first(std::vector<Unreadable>& list);

/// The files a rank could not read, shared by its threads: a flag per file (its later pieces
/// are skipped) and the first failures in walk order.
class Failures {
 public:
  /// `first`: the failures known before reading (the walk's, on rank 0).
  Failures(std::size_t files, std::vector<Unreadable> first);
  /// Whether file `file` failed on this rank.
  bool failed(std::size_t file) const { return failed_[file].load(std::memory_order_relaxed) != 0; }
  /// Marks the piece's file failed and keeps the failure.
  void add(const Piece& piece, const std::string& path, const ReadFailure& f);
  /// A byte per file: 1 where it failed.
  std::vector<unsigned char> flags() const;
  /// The first failures, in walk order (keep_first).
  std::vector<Unreadable> first();

 private:
  std::vector<std::atomic<unsigned char>> failed_;
  std::mutex lock_;
  std::vector<Unreadable> first_;
};

/// One thread's reading and scanning: its open file, buffer and scanner, and what it counted.
class PieceReader {
 public:
  /// `buffer` holds settings.alignment() bytes; `signalled` says whether a stop signal came
  /// (a read cut by it throws std::runtime_error("stopped")). `files` must outlive the reader.
  PieceReader(const std::vector<InputFile>& files, const ScanSettings& settings, std::byte* buffer,
              std::function<bool()> signalled);
  ~PieceReader();
  PieceReader(const PieceReader&) = delete;
  PieceReader& operator=(const PieceReader&) = delete;

  /// Starts a round: the records of the last one have been sent.
  void new_round();
  /// Reads and scans pieces[next++] until none is left or `stopped()`, calling `progress` with
  /// the bytes done. A piece of a file that failed is skipped; a failure skips the rest of its
  /// file (kept in `failures`), or with `strict` is thrown as ReadFailure.
  void read(const std::vector<Piece>& pieces, std::atomic<std::size_t>& next, Failures& failures,
            bool strict, const std::function<bool()>& stopped,
            const std::function<void(std::uint64_t)>& progress);

  Scanner& scanner() { return scanner_; }
  std::vector<LevelTally> levels;  ///< one per unit size
  LevelTally chunks;
  std::vector<UnitRecord> out;      ///< this round's records, to their owners
  double read_seconds = 0;          ///< in pread
  std::uint64_t bytes = 0;          ///< scanned (read or counted as zeros)
  std::uint64_t hole_bytes = 0;     ///< of `bytes`: counted as zeros without reading
  std::uint64_t skipped_bytes = 0;  ///< of files that could not be read

 private:
  void scan_piece(const Piece& piece, const std::string& path,
                  const std::function<void(std::uint64_t)>& progress);
  void scan_hole(const Piece& piece, const std::string& path,
                 const std::function<void(std::uint64_t)>& progress);
  void read_and_scan(const std::string& path, std::uint64_t offset, std::uint64_t n,
                     const std::function<void(std::uint64_t)>& progress);
  void read_bytes(const std::string& path, std::uint64_t offset, std::size_t n);

  const std::vector<InputFile>& files_;
  std::uint64_t alignment_;
  Scanner scanner_;
  std::byte* buffer_;
  std::function<bool()> signalled_;
  int fd_ = -1;
  std::size_t fd_file_ = 0;
};

}  // namespace dgen::analyze
