#include "io/queue.hpp"

#include <atomic>
#include <chrono>
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
      c_.bytes = file_->read_upto(offset_, p, c_.bytes);
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

}  // namespace

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
