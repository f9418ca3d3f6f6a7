#include "io/transfers.hpp"

#include <chrono>
#include <cstring>
#include <set>
#include <vector>

namespace dgen::io {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

bool move_transfers(Queue& queue, File& file, bool write, bool repair, std::uint64_t count,
                    const std::function<Extent(std::uint64_t)>& at, std::byte* const* buffers,
                    std::byte* const* scratch, int scratch_slot, const TransferHooks& hooks,
                    TransferCounts& counts) {
  const int depth = queue.depth();
  // Per slot: the transfer it holds and whether its read (--resume) came back already.
  struct Held {
    std::uint64_t index = 0;
    Extent transfer;
    bool checking = false;
  };
  std::vector<Held> held(static_cast<std::size_t>(depth));
  std::vector<int> free_slots;
  for (int s = depth - 1; s >= 0; --s) free_slots.push_back(s);
  std::uint64_t next = 0;
  // Completions come in any order: the prefix is the run of completed transfers from 0.
  std::uint64_t prefix_index = 0;
  std::set<std::uint64_t> beyond;  // completed, past the prefix
  auto note_done = [&](const Held& h) {
    ++counts.transfers;
    counts.bytes += h.transfer.length;
    if (h.index != prefix_index) {
      beyond.insert(h.index);
      return;
    }
    counts.prefix += h.transfer.length;
    ++prefix_index;
    while (!beyond.empty() && *beyond.begin() == prefix_index) {
      beyond.erase(beyond.begin());
      counts.prefix += at(prefix_index).length;
      ++prefix_index;
    }
  };
  auto start_next = [&](int slot) {
    Held& h = held[static_cast<std::size_t>(slot)];
    h.index = next++;
    h.transfer = at(h.index);
    h.checking = false;
    std::byte* buffer = buffers[slot];
    if (write) {
      const double t0 = now();
      hooks.generate(h.transfer, buffer);
      counts.generate += now() - t0;
      if (repair) {
        h.checking = true;
        queue.start(file, false, scratch_slot + slot, h.transfer.file_offset, h.transfer.length,
                    static_cast<std::uint64_t>(slot));
        return;
      }
    }
    queue.start(file, write, slot, h.transfer.file_offset, h.transfer.length,
                static_cast<std::uint64_t>(slot));
  };
  try {
    while (true) {
      while (!free_slots.empty() && next < count && (!hooks.keep_going || hooks.keep_going())) {
        const int slot = free_slots.back();
        free_slots.pop_back();
        start_next(slot);
      }
      if (queue.in_flight() == 0) break;
      const double t0 = now();
      const std::optional<Completion> c = queue.wait();
      counts.io += now() - t0;
      if (!c) return false;  // a stop signal cut a synchronous call short
      const int slot = static_cast<int>(c->tag);
      Held& h = held[static_cast<std::size_t>(slot)];
      if (h.checking) {
        // --resume: what the file holds against the stream; a transfer that is right stays.
        h.checking = false;
        if (c->bytes == h.transfer.length &&
            std::memcmp(scratch[slot], buffers[slot], h.transfer.length) == 0) {
          counts.reused += h.transfer.length;
        } else {
          queue.start(file, true, slot, h.transfer.file_offset, h.transfer.length,
                      static_cast<std::uint64_t>(slot));
          continue;
        }
      } else if (!write) {
        if (c->bytes < h.transfer.length) {
          throw IoError("read from " + file.path() + " at offset " +
                        std::to_string(h.transfer.file_offset + c->bytes) +
                        ": the file ends there (" + std::to_string(h.transfer.length - c->bytes) +
                        " more bytes expected)");
        }
        if (hooks.verify) {
          const double v0 = now();
          hooks.verify(h.transfer, buffers[slot]);
          counts.verify += now() - v0;
        }
      }
      if (hooks.completed) hooks.completed(c->write, h.transfer.length, c->seconds);
      note_done(h);
      free_slots.push_back(slot);
    }
  } catch (...) {
    queue.drain();
    throw;
  }
  return next == count && counts.transfers == count;
}

}  // namespace dgen::io
