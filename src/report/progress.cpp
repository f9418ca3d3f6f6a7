#include "report/progress.hpp"

#include <cstdio>

#include "dgen/size.hpp"

namespace dgen::report {

Progress::Progress(bool enabled, std::uint64_t total, int scale, std::string what)
    : enabled_(enabled),
      total_(total),
      scale_(scale),
      what_(std::move(what)),
      start_(std::chrono::steady_clock::now()) {
  if (enabled_) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Progress::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; }))
    draw(false);
  draw(true);
}

void Progress::draw(bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::uint64_t done = done_.load(std::memory_order_relaxed);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0;
  const int eta_s = static_cast<int>(eta + 0.5);
  std::fprintf(stderr, "\r%s %s / %s  %.2f GB/s  ETA %d:%02d:%02d   %s", what_.c_str(),
               format_size(done * static_cast<std::uint64_t>(scale_)).c_str(),
               format_size(total_ * static_cast<std::uint64_t>(scale_)).c_str(),
               rate * scale_ / 1e9, eta_s / 3600, eta_s / 60 % 60, eta_s % 60, final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace dgen::report
