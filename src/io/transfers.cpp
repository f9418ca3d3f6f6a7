#include "io/transfers.hpp"

#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dgen::io {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Adds the seconds from its making to its end to `total`, and calls `then` with them.
struct Timer {
  double& total;
  const std::function<void(double)>* then = nullptr;
  double t0 = now();
  ~Timer() {
    const double d = now() - t0;
    total += d;
    if (then != nullptr && *then) (*then)(d);
  }
};

}  // namespace

bool holds_already(File& file, std::uint64_t offset, const std::byte* want, std::size_t n,
                   std::byte* have, double& read_seconds, bool& same) {
  std::optional<std::size_t> got;
  {
    const Timer t{read_seconds};
    got = file.read_upto(offset, have, n);
  }
  same = got && *got == n && std::memcmp(have, want, n) == 0;
  return got.has_value();
}

std::string move_transfers_in_turn(File& file, bool write, bool repair, std::uint64_t count,
                                   const std::function<Extent(std::uint64_t)>& at,
                                   std::byte* const* buffers, std::byte* scratch,
                                   const InTurnHooks& hooks, TransferCounts& counts) {
  const bool collective = static_cast<bool>(hooks.agree);
  const std::uint64_t calls = collective ? hooks.most(count) : count;
  std::string err;
  bool active = true;
  auto note = [&](const std::exception& x) {
    if (err.empty()) err = x.what();
    active = false;
  };
  const std::function<void(double)> no_latency;  // zero-byte calls: no transfer, no latency
  if (write && count > 0) {
    try {
      const Extent x = at(0);
      const Timer t{counts.generate};
      hooks.generate(x, buffers[0]);
    } catch (const std::exception& x) {
      note(x);  // the rank still joins every collective call, with zero bytes
    }
  }
  for (std::uint64_t i = 0; i < calls; ++i) {
    const bool stopped = hooks.stopped();
    active = active && i < count && !stopped && hooks.in_time();
    if (collective) {
      // A collective call is made by all or none: before each, the ranks agree whether any
      // has a transfer left, and whether any was asked to stop (then all leave at once, after
      // the same number of calls, not with zero-byte calls to the end).
      const int all = hooks.agree((stopped ? 2 : 0) | (active ? 1 : 0));
      if (all != 1) break;  // 0: nobody has a transfer left; 2 or 3: a stop somewhere
    }
    if (!active && !collective) break;
    const Extent x = active ? at(i) : Extent{};
    const std::uint64_t n = active ? x.length : 0;
    std::byte* buf = buffers[i % 2];
    try {
      if (write) {
        // --resume: a transfer the file holds already is joined with zero bytes.
        std::uint64_t w = n;
        if (repair) {
          // A failed or stopped read still joins the collective write below, with zero bytes.
          try {
            bool same = false;
            if (!holds_already(file, x.file_offset, buf, n, scratch, counts.io, same)) {
              active = false;
              w = 0;
            } else if (n > 0 && same) {
              counts.reused += n;
              w = 0;
            }
          } catch (const std::exception& e) {
            note(e);
            w = 0;
          }
        }
        const bool more = active && i + 1 < count;
        const Extent next = more ? at(i + 1) : Extent{};
        // A zero-byte call (joining the others' collective call) is no transfer: its time
        // counts, its latency does not.
        if (!hooks.write(file, x.file_offset, buf, w, more ? &next : nullptr, buffers[(i + 1) % 2],
                         counts.io, counts.generate))
          active = false;
      } else {
        bool read = false;
        {
          const Timer t{counts.io, n > 0 ? &hooks.read_latency : &no_latency};
          read = file.read_at(x.file_offset, buf, n);
        }
        if (!read) {
          active = false;
        } else if (hooks.verify && n > 0) {
          const Timer t{counts.verify};
          hooks.verify(x, buf);
        }
      }
    } catch (const std::exception& e) {
      note(e);
      continue;
    }
    if (n > 0 && active) {
      counts.bytes += n;
      counts.prefix += n;
      ++counts.transfers;
      hooks.completed(n);
    }
  }
  return err;
}

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
