// The per-transfer loop, for any backend: generate a transfer's stream bytes into a free buffer
// and write it, or read into one and compare what comes back; --resume reads first and writes
// only what is wrong. Where threads move bytes, each thread keeps up to its queue's depth in
// flight (fio's iodepth: transfer i + depth is generated while transfer i completes); where only
// the main thread may (MPI-IO), it moves the transfers in turn while the team generates the
// next, and on a collective file makes each call with every rank (the caller's agreement). The
// storage pass (mpi/storage_pass.cpp) opens, flushes, closes and renames around it and agrees
// on errors. No MPI: the agreements are the caller's hooks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

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

/// --resume: reads the n bytes at `offset` of `file` into `have` (its seconds added to
/// `read_seconds`); `same` says whether they are `want`. False when a stop signal cut the read
/// short. Throws IoError.
bool holds_already(File& file, std::uint64_t offset, const std::byte* want, std::size_t n,
                   std::byte* have, double& read_seconds, bool& same);

/// What the main thread's loop (move_transfers_in_turn) asks of its caller.
struct InTurnHooks {
  /// The most transfers any rank of a collective file moves (every rank makes that many calls,
  /// or fewer when all agree to stop); empty: not collective.
  std::function<std::uint64_t(std::uint64_t count)> most;
  /// Collective, before each call: this rank's word (1: it has a transfer to move, 2: it was
  /// asked to stop), the job's highest back. Empty when not collective.
  std::function<int(int mine)> agree;
  /// Whether a stop signal came.
  std::function<bool()> stopped;
  /// False once no transfer may start (the deadline has passed).
  std::function<bool()> in_time;
  /// Generates the transfer's stream bytes into the buffer with the whole team.
  std::function<void(const Extent& transfer, std::byte* buffer)> generate;
  /// Writes n bytes of `bytes` at file offset `offset` while the team generates `next` (null:
  /// none) into `into`; the seconds of each into `io` and `generate`, and when n > 0 the
  /// write's latency where the caller keeps them. False when a stop signal cut the write short.
  std::function<bool(File& file, std::uint64_t offset, const std::byte* bytes, std::uint64_t n,
                     const Extent* next, std::byte* into, double& io, double& generate)>
      write;
  /// Read back: checks the bytes read (--verify); empty when nothing is checked.
  std::function<void(const Extent& transfer, const std::byte* bytes)> verify;
  /// A read of bytes took `seconds` (also when it failed or a stop cut it short).
  std::function<void(double seconds)> read_latency;
  /// A transfer of `bytes` completed.
  std::function<void(std::uint64_t bytes)> completed;
};

/// The main thread moves transfers [0, count) of `file`, `at(i)` each, in turn, through the two
/// `buffers` (the one written and the one the next is generated into); with `repair` (--resume)
/// it reads each into `scratch` first and writes it only when it differs from the stream. With
/// a collective file (hooks.agree) every rank makes the same calls: a rank that has fewer
/// transfers, or failed, joins the others' calls with zero bytes; a stop anywhere ends them
/// all. Returns the first error's text (the loop goes on with zero-byte calls), empty when
/// none; counts what it moved into `counts`.
std::string move_transfers_in_turn(File& file, bool write, bool repair, std::uint64_t count,
                                   const std::function<Extent(std::uint64_t)>& at,
                                   std::byte* const* buffers, std::byte* scratch,
                                   const InTurnHooks& hooks, TransferCounts& counts);

}  // namespace dgen::io
