// One updating line on stderr: bytes done, rate and ETA. Rank 0 shows its own progress
// scaled to the job (all ranks do the same work).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace dgen::report {

class Progress {
 public:
  /// Starts the display thread when `enabled`; `total` is this rank's bytes to do,
  /// `scale` how many ranks do as much (the line shows the job's bytes).
  Progress(bool enabled, std::uint64_t total, int scale, std::string what);
  ~Progress();  ///< stops the thread and ends the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Counts bytes done; cheap enough to call per chunk from any thread.
  void add(std::uint64_t bytes) { done_.fetch_add(bytes, std::memory_order_relaxed); }

 private:
  void run();
  void draw(bool final);

  bool enabled_;
  std::uint64_t total_;
  int scale_;
  std::string what_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dgen::report
