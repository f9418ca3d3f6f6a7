#include "io/queue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dgen::io {

File::File() {
  static std::atomic<std::uint64_t> next{1};
  id_ = next.fetch_add(1, std::memory_order_relaxed);
}

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Depth 1: the transfer is taken by start() and made by wait(), so the calling thread
// generates, then moves, then generates the next (its team's other threads overlap it).
class SynchronousQueue final : public Queue {
 public:
  SynchronousQueue(std::byte* const* buffers, int count) : buffers_(buffers, buffers + count) {}
  int depth() const override { return 1; }
  int in_flight() const override { return pending_ ? 1 : 0; }
  void start(File& file, bool write, int slot, std::uint64_t offset, std::size_t n,
             std::uint64_t tag) override {
    if (pending_) throw IoError(file.path() + ": a synchronous queue holds one transfer");
    pending_ = true;
    file_ = &file;
    c_ = Completion{slot, tag, n, 0, write};
    offset_ = offset;
  }
  std::optional<Completion> wait() override {
    if (!pending_) return std::nullopt;
    pending_ = false;
    std::byte* p = buffers_.at(static_cast<std::size_t>(c_.slot));
    const double t0 = now();
    if (c_.write) {
      if (!file_->write_at(offset_, p, c_.bytes)) return std::nullopt;  // stopped
    } else {
      const std::optional<std::size_t> got = file_->read_upto(offset_, p, c_.bytes);
      if (!got) return std::nullopt;  // stopped
      c_.bytes = *got;
    }
    c_.seconds = now() - t0;
    return c_;
  }
  void drain() noexcept override { pending_ = false; }

 private:
  std::vector<std::byte*> buffers_;
  bool pending_ = false;
  File* file_ = nullptr;
  Completion c_;
  std::uint64_t offset_ = 0;
};

// Depth 2: the calls are made by a worker thread, one at a time, in the order started.
class ReadAheadQueue final : public Queue {
 public:
  ReadAheadQueue(std::byte* const* buffers, int count)
      : buffers_(buffers, buffers + count), worker_([this] { work(); }) {}
  ~ReadAheadQueue() override {
    {
      std::lock_guard<std::mutex> lock(m_);
      quit_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  int depth() const override { return 2; }
  int in_flight() const override {
    std::lock_guard<std::mutex> lock(m_);
    return static_cast<int>(todo_.size() + done_.size()) + (busy_ ? 1 : 0);
  }
  void start(File& file, bool write, int slot, std::uint64_t offset, std::size_t n,
             std::uint64_t tag) override {
    {
      std::lock_guard<std::mutex> lock(m_);
      todo_.push_back({&file, write, slot, offset, n, tag});
    }
    cv_.notify_all();
  }
  std::optional<Completion> wait() override {
    std::unique_lock<std::mutex> lock(m_);
    if (todo_.empty() && done_.empty() && !busy_) return std::nullopt;
    cv_.wait(lock, [this] { return !done_.empty(); });
    Finished f = std::move(done_.front());
    done_.pop_front();
    if (f.error) {
      lock.unlock();
      drain();
      std::rethrow_exception(f.error);
    }
    if (f.stopped) return std::nullopt;
    return f.c;
  }
  void drain() noexcept override {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [this] { return todo_.empty() && !busy_; });
    done_.clear();
  }

 private:
  struct Request {
    File* file;
    bool write;
    int slot;
    std::uint64_t offset;
    std::size_t n;
    std::uint64_t tag;
  };
  struct Finished {
    Completion c;
    bool stopped = false;
    std::exception_ptr error;
  };
  void work() {
    std::unique_lock<std::mutex> lock(m_);
    while (true) {
      cv_.wait(lock, [this] { return quit_ || !todo_.empty(); });
      if (quit_) return;
      const Request r = todo_.front();
      todo_.pop_front();
      busy_ = true;
      lock.unlock();
      Finished f;
      f.c = Completion{r.slot, r.tag, r.n, 0, r.write};
      const double t0 = now();
      try {
        std::byte* p = buffers_.at(static_cast<std::size_t>(r.slot));
        if (r.write) {
          f.stopped = !r.file->write_at(r.offset, p, r.n);
        } else {
          const std::optional<std::size_t> got = r.file->read_upto(r.offset, p, r.n);
          f.stopped = !got;
          f.c.bytes = got.value_or(0);
        }
      } catch (...) {
        f.error = std::current_exception();
      }
      f.c.seconds = now() - t0;
      lock.lock();
      busy_ = false;
      done_.push_back(std::move(f));
      cv_.notify_all();
    }
  }

  std::vector<std::byte*> buffers_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<Request> todo_;
  std::deque<Finished> done_;
  bool busy_ = false;
  bool quit_ = false;
  std::thread worker_;
};

}  // namespace

std::unique_ptr<Queue> make_read_ahead_queue(std::byte* const* buffers, int count) {
  return std::make_unique<ReadAheadQueue>(buffers, count);
}

std::unique_ptr<Queue> make_synchronous_queue(std::byte* const* buffers, int count) {
  return std::make_unique<SynchronousQueue>(buffers, count);
}

std::unique_ptr<Queue> Backend::make_queue(int depth, std::byte* const* buffers, int count,
                                           std::size_t) {
  if (depth != 1) {
    throw IoError(std::string("--iodepth ") + std::to_string(depth) + ": --io " + name() +
                  " keeps one transfer in flight per thread (--io uring keeps more)");
  }
  return make_synchronous_queue(buffers, count);
}

}  // namespace dgen::io
