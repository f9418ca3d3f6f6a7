// Transfers in flight, per thread: fio's iodepth. A queue keeps up to depth() transfers of one
// thread in flight and hands back whichever finishes; the transfer loop (io/transfers.hpp)
// generates transfer i + depth while transfer i completes. A backend without asynchronous calls
// (posix, mpiio) gets the synchronous queue: depth 1, the call made in wait().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "io/backend.hpp"

namespace dgen::io {

/// A transfer that finished.
struct Completion {
  int slot = 0;           ///< the buffer it used
  std::uint64_t tag = 0;  ///< the caller's tag, given to start()
  std::size_t bytes = 0;  ///< moved (a read: fewer only where the file ends)
  double seconds = 0;     ///< from start() to its end: the transfer's latency
  bool write = true;
};

class Queue {
 public:
  virtual ~Queue() = default;
  /// Transfers this queue keeps in flight at most.
  virtual int depth() const = 0;
  /// Transfers started and not yet handed back by wait().
  virtual int in_flight() const = 0;
  /// Starts writing (or reading) `n` bytes of buffer `slot` at `offset` of `file`; at most
  /// depth() at once. Short transfers are continued inside the queue, so a completion is whole.
  virtual void start(File& file, bool write, int slot, std::uint64_t offset, std::size_t n,
                     std::uint64_t tag) = 0;
  /// Waits for one transfer in flight and hands it back. Throws IoError naming the file, the
  /// offset and the OS error (the others in flight are drained first). Empty when a stop signal
  /// interrupted a synchronous call.
  virtual std::optional<Completion> wait() = 0;
  /// Waits for everything in flight, errors ignored: buffers may be reused or freed after it.
  virtual void drain() noexcept = 0;
  /// `file` is about to be closed: the queue drops what it holds of it (an io_uring fixed-file
  /// registration keeps a file open, and an unlinked temporary file's blocks in use).
  virtual void release(const File& file) noexcept { (void)file; }
};

/// Depth 1 over any File: start() takes the transfer, wait() makes the call (write_at,
/// read_upto) and times it. `buffers[slot]` are the caller's buffers.
std::unique_ptr<Queue> make_synchronous_queue(std::byte* const* buffers, int count);

/// Depth 2 over any File, for reads that are checked (--verify with a synchronous backend): a
/// worker thread makes the calls, so that the next read is in flight while the caller compares
/// the last (the worker inherits the caller's cpu binding). `count` >= 2.
std::unique_ptr<Queue> make_read_ahead_queue(std::byte* const* buffers, int count);

}  // namespace dgen::io
