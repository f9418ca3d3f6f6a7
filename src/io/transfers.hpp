// What one thread does per transfer, for any backend: generate a transfer's stream bytes into a
// free buffer and start writing it, or start reading into one and compare what comes back, with
// up to the queue's depth in flight (fio's iodepth: transfer i + depth is generated while
// transfer i completes); --resume reads first and writes only what is wrong. The storage pass
// (mpi/storage.cpp) opens, flushes, closes and renames around it and agrees on errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "io/layout.hpp"
#include "io/queue.hpp"

namespace dgen::io {

/// What the loop asks of its caller.
struct TransferHooks {
  /// Fills `buffer` with the stream's bytes of the transfer (writes, and --resume's compare).
  std::function<void(const Extent& transfer, std::byte* buffer)> generate;
  /// Read back: checks the bytes read (--verify); empty when nothing is checked.
  std::function<void(const Extent& transfer, const std::byte* bytes)> verify;
  /// False: start no more transfers (a stop signal, the deadline, another thread's error); the
  /// ones in flight complete.
  std::function<bool()> keep_going;
  /// A transfer completed: its bytes and its latency (start to completion), for the progress
  /// line, the latency histograms and the bandwidth over time. May be empty.
  std::function<void(bool write, std::uint64_t bytes, double seconds)> completed;
};

/// What the loop did.
struct TransferCounts {
  std::uint64_t transfers = 0;  ///< completed
  std::uint64_t bytes = 0;      ///< their bytes
  std::uint64_t reused = 0;     ///< --resume: found right, not written again
  std::uint64_t prefix = 0;     ///< bytes of the transfers [0, k) all completed (keep-partial)
  double generate = 0, io = 0, verify = 0;  ///< seconds in each (io: waiting for completions)
};

/// Moves transfers [0, count) of `file`, `at(i)` each, started in that order, through `queue`.
/// Writes (`write`), reads, or with `repair` reads each into `scratch` first and writes it only
/// when it differs from the stream. `buffers` and `scratch` hold queue.depth() buffers of the
/// largest transfer each; the queue was made over the buffers, and the scratch buffers from
/// slot `scratch_slot` on. Returns true when all completed; throws IoError (the queue is
/// drained first).
bool move_transfers(Queue& queue, File& file, bool write, bool repair, std::uint64_t count,
                    const std::function<Extent(std::uint64_t)>& at, std::byte* const* buffers,
                    std::byte* const* scratch, int scratch_slot, const TransferHooks& hooks,
                    TransferCounts& counts);

}  // namespace dgen::io
