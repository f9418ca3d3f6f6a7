#include "io/watchdog.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "dgen/size.hpp"

namespace dgen::io {

namespace {

using Clock = std::chrono::steady_clock;

/// One thread's call in flight.
struct Slot {
  std::mutex m;
  bool busy = false;
  const char* op = "";
  const std::string* path = nullptr;
  std::uint64_t offset = UINT64_MAX, bytes = 0;
  Clock::time_point start;
};

constexpr int kSlots = 4096;  // threads of one process (--threads is at most 4096)
std::array<Slot, kSlots> g_slots;
std::atomic<int> g_claimed{0};
thread_local int t_slot = -2;  // -2: not claimed yet; -1: none left

int my_slot() {
  if (t_slot == -2) {
    const int s = g_claimed.fetch_add(1);
    t_slot = s < kSlots ? s : -1;
  }
  return t_slot;
}

std::string sentence(const Slot& s) {
  std::string text = s.op;
  if (s.bytes > 0) text += " of " + format_size(s.bytes);
  if (s.offset != UINT64_MAX) text += " at offset " + std::to_string(s.offset);
  if (s.path != nullptr) text += (s.bytes > 0 || s.offset != UINT64_MAX ? " of " : " ") + *s.path;
  return text;
}

class Watchdog {
 public:
  void start(double seconds, std::function<void(const std::string&)> stuck) {
    stop();
    std::lock_guard<std::mutex> lock(m_);
    limit_ = seconds;
    stuck_ = std::move(stuck);
    quit_ = false;
    fired_ = false;
    thread_ = std::thread([this] { watch(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      quit_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  ~Watchdog() { stop(); }

 private:
  void watch() {
    // Many looks per limit: a stuck call is named within 50 ms past it, before rank 0's
    // synchronisation timeout (a second later) names the rank without the call.
    const auto period = std::chrono::duration<double>(std::min(0.05, limit_ / 4));
    std::unique_lock<std::mutex> lock(m_);
    // A process that was itself stopped (SIGSTOP, then SIGCONT as a launcher sends before it
    // ends a job) finds its calls "late" by the time it did not run: a look that comes a second
    // or more after the last one starts every call's time again from now.
    auto last_look = Clock::now(), resumed = last_look;
    while (!quit_) {
      cv_.wait_for(lock, period, [this] { return quit_; });
      if (quit_ || fired_) continue;
      const auto now = Clock::now();
      if (now - last_look > std::chrono::seconds(1)) resumed = now;
      last_look = now;
      std::string what;
      double late = 0;
      const int n = std::min(g_claimed.load(), kSlots);
      for (int i = 0; i < n && what.empty(); ++i) {
        Slot& s = g_slots[static_cast<std::size_t>(i)];
        std::lock_guard<std::mutex> slot_lock(s.m);
        if (!s.busy) continue;
        late = std::chrono::duration<double>(now - std::max(s.start, resumed)).count();
        if (late >= limit_) what = sentence(s);
      }
      if (what.empty()) continue;
      fired_ = true;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", limit_);
      auto stuck = stuck_;
      lock.unlock();  // the handler ends the job; stop() must not wait on this lock meanwhile
      stuck(what + " has not returned for " + seconds + " s");
      lock.lock();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
  double limit_ = 0;
  bool quit_ = false;
  bool fired_ = false;
  std::function<void(const std::string&)> stuck_;
};

Watchdog& watchdog() {
  static Watchdog w;
  return w;
}

}  // namespace

IoCall::IoCall(const char* op, const std::string& path, std::uint64_t offset, std::uint64_t bytes) {
  const int s = my_slot();
  if (s < 0) return;
  Slot& slot = g_slots[static_cast<std::size_t>(s)];
  std::lock_guard<std::mutex> lock(slot.m);
  if (slot.busy) return;  // nested: the outer call is the one that blocks
  slot.busy = true;
  slot.op = op;
  slot.path = &path;
  slot.offset = offset;
  slot.bytes = bytes;
  slot.start = Clock::now();
  slot_ = s;
}

IoCall::~IoCall() {
  if (slot_ < 0) return;
  Slot& slot = g_slots[static_cast<std::size_t>(slot_)];
  std::lock_guard<std::mutex> lock(slot.m);
  slot.busy = false;
  slot.path = nullptr;
}

void start_io_watchdog(double seconds, std::function<void(const std::string&)> stuck) {
  watchdog().start(seconds, std::move(stuck));
}

void stop_io_watchdog() { watchdog().stop(); }

std::string current_io_call() {
  const int s = my_slot();
  if (s < 0) return "";
  Slot& slot = g_slots[static_cast<std::size_t>(s)];
  std::lock_guard<std::mutex> lock(slot.m);
  return slot.busy ? sentence(slot) : "";
}

}  // namespace dgen::io
