#include "analyze/cursor.hpp"

#include <algorithm>
#include <utility>

namespace dgen::analyze {

PieceCursor::PieceCursor(std::vector<FileExtent> share, const std::vector<InputFile>& files,
                         std::uint64_t alignment)
    : share_(std::move(share)), files_(files), alignment_(alignment) {
  enter();
}

std::vector<Piece> PieceCursor::take(std::uint64_t bytes) {
  std::vector<Piece> pieces;
  std::uint64_t taken = 0;
  while (!done() && (pieces.empty() || taken < bytes)) {
    const FileExtent& e = share_[next_];
    while (run_ < runs_.size() && runs_[run_].end <= at_) ++run_;
    Piece p{e.file, at_, 0, false};
    if (run_ < runs_.size() && runs_[run_].begin <= at_) {
      p.length = std::min(alignment_, e.end - at_);
    } else {
      p.length = (run_ < runs_.size() ? std::min(e.end, runs_[run_].begin) : e.end) - at_;
      p.hole = true;
    }
    pieces.push_back(p);
    taken += std::min(p.length, alignment_);
    at_ += p.length;
    if (at_ >= e.end) {
      ++next_;
      enter();
    }
  }
  return pieces;
}

// At the start of the next extent, with its file's data runs.
void PieceCursor::enter() {
  if (done()) return;
  at_ = share_[next_].begin;
  runs_ = data_runs(files_[share_[next_].file], alignment_);
  run_ = 0;
}

}  // namespace dgen::analyze
