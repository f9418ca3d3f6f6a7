#include "storage/dataset_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "io/errors.hpp"
#include "io/transfers.hpp"
#include "mpi/output_file.hpp"

namespace dgen::storage {

namespace {

// --resume: whether dataset file `e` stands whole under its final name `name` (its length and
// every byte), so that it is kept and not written again.
bool intact(io::Backend& backend, const std::string& name, const io::Extent& e,
            const DatasetFileRules& rules, const DatasetFileHooks& hooks, Tally& tally) {
  struct stat st {};
  if (stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != e.length)
    return false;
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
void cut_short_by_error(const DatasetFileRules& rules, const std::string& name,
                        KeptPartials& kept) {
  struct stat st {};
  if (rules.keep_partial && !rules.in_place && stat(name.c_str(), &st) == 0) {
    kept.add(name);
    return;
  }
  unlink(name.c_str());
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
  const std::string name = in_place ? final_name : mpi::temporary_name(final_name);
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
        if (!in_place && rename(name.c_str(), final_name.c_str()) != 0) {
          throw io::IoError("cannot rename " + name + " to " + final_name + ": " +
                            std::strerror(errno));
        }
        return 0;
      });
      finished = true;
    }
  } catch (...) {
    if (file) hooks.release(*file);
    file.reset();
    if (rules.write) cut_short_by_error(rules, name, kept);
    throw;
  }
  if (file) hooks.release(*file);
  file.reset();
  if (!finished && rules.write) unlink(name.c_str());
  if (finished) {
    ++tally.files;
    ++tally.moved;
  }
  return finished;
}

}  // namespace dgen::storage
