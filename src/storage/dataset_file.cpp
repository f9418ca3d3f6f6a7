#include "storage/dataset_file.hpp"

#include <memory>

#include "io/transfers.hpp"
#include "storage/names.hpp"
#include "storage/on_disk.hpp"

namespace dgen::storage {

namespace {

// Removes `name`, if it is there: a file cut short never stays under it.
void remove_if_there(const io::Namespace& names, const std::string& name) noexcept {
  try {
    names.remove(name);
  } catch (const std::exception&) {
    // Not there (never created, or a failed create): nothing to remove.
  }
}

// Publishes the finished file under its final name. A failed rename is an error of the pass
// (never taken for a full file system at the wall: its errno stays out of it).
void publish(const io::Namespace& names, const std::string& name, const std::string& final_name) {
  try {
    names.rename(name, final_name);
  } catch (const io::IoError& x) {
    throw io::IoError(x.what());
  }
}

// --resume: whether dataset file `e` stands whole under its final name `name` (its length and
// every byte), so that it is kept and not written again.
bool intact(io::Backend& backend, const std::string& name, const io::Extent& e,
            const DatasetFileRules& rules, const DatasetFileHooks& hooks, Tally& tally) {
  const io::Entry there = stat_or_missing(backend.names(), name);
  if (there.kind != io::Entry::Kind::kRegular || there.size != e.length) return false;
  std::unique_ptr<io::File> file;
  timed(tally.open, [&] {
    file = backend.open(name, rules.existing_mode, false);
    return 0;
  });
  for (std::uint64_t x = 0; x < e.length; x += rules.transfer) {
    const std::uint64_t n = std::min(rules.transfer, e.length - x);
    timed(tally.generate, [&] {
      hooks.generate(e.stream_offset + x, hooks.buffer, n);
      return 0;
    });
    bool same = false;
    const bool read = io::holds_already(*file, x, hooks.buffer, n, hooks.scratch, tally.io, same);
    if (!read || !same) return false;
  }
  file->close();
  tally.reused += e.length;
  return true;
}

// A dataset file a failed write cut short: with --keep-partial its temporary file stays (what
// was written, maybe nothing; --resume removes it and writes the file again); else, and in
// place, it is removed: never a short file under a final name.
void cut_short_by_error(const io::Namespace& names, const DatasetFileRules& rules,
                        const std::string& name, KeptPartials& kept) {
  if (rules.keep_partial && !rules.in_place && stat_or_missing(names, name).exists()) {
    kept.add(name);
    return;
  }
  remove_if_there(names, name);
}

}  // namespace

void KeptPartials::add(const std::string& name) {
  const std::lock_guard<std::mutex> hold(lock_);
  names_.push_back(name);
}

bool move_dataset_file(io::Backend& backend, const io::Layout& layout, const io::Extent& e,
                       const DatasetFileRules& rules, const DatasetFileHooks& hooks,
                       KeptPartials& kept, Tally& tally) {
  const std::string final_name = io::file_path(layout, e.file);
  if (rules.write && rules.repair && intact(backend, final_name, e, rules, hooks, tally)) {
    ++tally.files;
    ++tally.moved;
    tally.bytes += e.length;
    return true;
  }
  const bool in_place = rules.in_place || !rules.write;
  const std::string name = in_place ? final_name : temporary_name(final_name);
  std::unique_ptr<io::File> file;
  bool finished = false;
  try {
    timed(tally.open, tally.latency[kOpenOp], [&] {
      file = backend.open(name, rules.write ? rules.write_mode : rules.existing_mode, false);
      return 0;
    });
    if (hooks.transfers(*file)) {
      if (rules.write && rules.fsync) {
        timed(tally.flush, tally.latency[kFsyncOp], [&] {
          file->flush();
          return 0;
        });
      }
      timed(tally.close, tally.latency[kCloseOp], [&] {
        hooks.release(*file);
        file->close();
        if (!in_place) publish(backend.names(), name, final_name);
        return 0;
      });
      finished = true;
    }
  } catch (...) {
    if (file) hooks.release(*file);
    file.reset();
    if (rules.write) cut_short_by_error(backend.names(), rules, name, kept);
    throw;
  }
  if (file) hooks.release(*file);
  file.reset();
  if (!finished && rules.write) remove_if_there(backend.names(), name);
  if (finished) {
    ++tally.files;
    ++tally.moved;
  }
  return finished;
}

}  // namespace dgen::storage
