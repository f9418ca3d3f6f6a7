#include "analyze/reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <tuple>
#include <utility>

namespace dgen::analyze {

namespace {

double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Walk order: by the files listed before; a directory before the file listed after it; a
/// file's first failing offset first.
bool earlier(const Unreadable& a, const Unreadable& b) {
  return std::tuple(a.order, !a.in_walk, a.offset) < std::tuple(b.order, !b.in_walk, b.offset);
}

}  // namespace

ReadFailure::ReadFailure(const std::string& path, std::string call, std::uint64_t offset, int err)
    : std::runtime_error(call == "open"
                             ? "open " + path + ": " + reason(err)
                             : "read " + path + " at offset " + std::to_string(offset) + ": " +
                                   (call == "read" ? "" : call + ": ") + reason(err)),
      call_(std::move(call)),
      offset_(offset),
      err_(err) {}

std::string ReadFailure::reason(int err) {
  return err != 0 ? std::strerror(err)
                  : "the file ended early (it was listed with more bytes; did it change during "
                    "the analysis?)";
}

std::string ReadFailure::what_failed() const {
  return call_ == "open" ? "cannot open" : call_ + " at offset " + std::to_string(offset_);
}

void keep_first(std::vector<Unreadable>& list) {
  std::sort(list.begin(), list.end(), earlier);
  std::vector<Unreadable> first;
  for (auto& u : list) {
    if (first.size() == kUnreadableNamed) break;
    if (first.empty() || first.back().path != u.path || first.back().order != u.order)
      first.push_back(std::move(u));
  }
  list = std::move(first);
}

Failures::Failures(std::size_t files, std::vector<Unreadable> first)
    : failed_(files), first_(std::move(first)) {}

void Failures::add(const Piece& piece, const std::string& path, const ReadFailure& f) {
  failed_[piece.file].store(1, std::memory_order_relaxed);
  Unreadable u;
  u.path = path;
  u.what = f.what_failed();
  u.error = f.error();
  u.message = ReadFailure::reason(f.error());
  u.order = piece.file;
  u.offset = f.offset();
  const std::lock_guard<std::mutex> hold(lock_);
  first_.push_back(std::move(u));
  if (first_.size() > 4 * kUnreadableNamed) keep_first(first_);
}

std::vector<unsigned char> Failures::flags() const {
  std::vector<unsigned char> out(failed_.size());
  for (std::size_t i = 0; i < failed_.size(); ++i) out[i] = failed_[i].load();
  return out;
}

std::vector<Unreadable> Failures::first() {
  const std::lock_guard<std::mutex> hold(lock_);
  keep_first(first_);
  return first_;
}

PieceReader::PieceReader(const std::vector<InputFile>& files, const ScanSettings& settings,
                         std::byte* buffer, std::function<bool()> signalled)
    : levels(settings.units.size()),
      files_(files),
      alignment_(settings.alignment()),
      scanner_(settings),
      buffer_(buffer),
      signalled_(std::move(signalled)) {}

PieceReader::~PieceReader() {
  if (fd_ >= 0) ::close(fd_);
}

void PieceReader::new_round() {
  out.clear();
  scanner_.new_round();
}

void PieceReader::read(const std::vector<Piece>& pieces, std::atomic<std::size_t>& next,
                       Failures& failures, bool strict, const std::function<bool()>& stopped,
                       const std::function<void(std::uint64_t)>& progress) {
  for (std::size_t i; !stopped() && (i = next.fetch_add(1)) < pieces.size();) {
    const Piece& piece = pieces[i];
    const std::string& path = files_[piece.file].path;
    if (failures.failed(piece.file)) {
      skipped_bytes += piece.length;
      progress(piece.length);
      continue;
    }
    const std::uint64_t before = bytes;
    try {
      scan_piece(piece, path, progress);
    } catch (const ReadFailure& f) {
      if (strict) throw;
      // Skipped: this piece's rest, and every later piece of the file on this rank.
      const std::uint64_t rest = piece.length - (bytes - before);
      skipped_bytes += rest;
      progress(rest);
      failures.add(piece, path, f);
    }
  }
}

// Opens the piece's file when it is not the one open, and scans the piece; throws ReadFailure.
void PieceReader::scan_piece(const Piece& piece, const std::string& path,
                             const std::function<void(std::uint64_t)>& progress) {
  if (fd_ < 0 || fd_file_ != piece.file) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw ReadFailure(path, "open", piece.offset, errno);
    fd_file_ = piece.file;
  }
  if (piece.hole) {
    scan_hole(piece, path, progress);
  } else {
    read_and_scan(path, piece.offset, piece.length, progress);
  }
}

// A hole when the file was listed: still as long, and where is there data now? The pieces that
// hold some are read whole; the rest counted as zeros.
void PieceReader::scan_hole(const Piece& piece, const std::string& path,
                            const std::function<void(std::uint64_t)>& progress) {
  struct stat st {};
  if (fstat(fd_, &st) != 0) throw ReadFailure(path, "fstat", piece.offset, errno);
  const std::uint64_t end = piece.offset + piece.length;
  if (static_cast<std::uint64_t>(st.st_size) < end) {
    throw ReadFailure(path, "read", std::max<std::uint64_t>(piece.offset, st.st_size), 0);
  }
  for (std::uint64_t at = piece.offset; at < end;) {
    const off_t d = lseek(fd_, static_cast<off_t>(at), SEEK_DATA);
    if (d < 0 && errno != ENXIO) throw ReadFailure(path, "SEEK_DATA", at, errno);
    const std::uint64_t data =
        d < 0 ? end : std::min<std::uint64_t>(end, static_cast<std::uint64_t>(d));
    // Zeros up to the piece that holds the data (to the end when none does).
    const std::uint64_t zeros_end =
        data >= end ? end : std::max(at, data / alignment_ * alignment_);
    if (zeros_end > at) {
      scanner_.scan_zeros(zeros_end - at, levels, chunks, out);
      bytes += zeros_end - at;
      hole_bytes += zeros_end - at;
      progress(zeros_end - at);
      at = zeros_end;
    }
    if (at < end) {
      const std::uint64_t n = std::min(alignment_, end - at);
      read_and_scan(path, at, n, progress);
      at += n;
    }
  }
}

// Reads and scans n bytes at `offset` (a piece, or less at a file's end).
void PieceReader::read_and_scan(const std::string& path, std::uint64_t offset, std::uint64_t n,
                                const std::function<void(std::uint64_t)>& progress) {
  const double t0 = clock_seconds();
  read_bytes(path, offset, n);
  read_seconds += clock_seconds() - t0;
  scanner_.scan(buffer_, n, levels, chunks, out);
  bytes += n;
  progress(n);
}

// Reads [offset, offset + n) of the open file into the buffer; throws ReadFailure.
void PieceReader::read_bytes(const std::string& path, std::uint64_t offset, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd_, buffer_ + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) {
      if (signalled_()) throw std::runtime_error("stopped");
      continue;
    }
    if (r < 0) throw ReadFailure(path, "read", offset + done, errno);
    if (r == 0) throw ReadFailure(path, "read", offset + done, 0);
    done += static_cast<std::size_t>(r);
  }
}

}  // namespace dgen::analyze
