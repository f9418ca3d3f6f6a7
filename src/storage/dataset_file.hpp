// The life of one file of a dataset (--files): written under a temporary name beside its final
// one (or in place), flushed, closed and published by rename only when whole; a file a stop cut
// short is removed, and one an error cut short too, unless --keep-partial keeps its temporary
// file; with --resume a file that stands whole under its final name is kept and not written
// again. Read back: opened, read, closed. The bytes are moved by the caller (io/transfers.hpp);
// the passes (mpi/storage_pass.cpp) order the files over threads and agree on errors. No MPI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "io/backend.hpp"
#include "io/layout.hpp"
#include "storage/tally.hpp"

namespace dgen::storage {

/// How a pass treats its dataset files.
struct DatasetFileRules {
  bool write = true;          ///< else read back
  bool in_place = false;      ///< written under the final name (--in-place; a read always is)
  bool fsync = false;         ///< each file is flushed to storage before it is published
  bool keep_partial = false;  ///< --keep-partial: an error keeps the temporary file
  bool repair = false;        ///< --resume: a file that stands whole is kept
  io::OpenMode write_mode;    ///< how a file written is opened (created, exclusive or truncated)
  /// How an existing file is opened, nothing created: read back, and --resume's check
  io::OpenMode existing_mode;
  std::uint64_t transfer = 0;  ///< --resume's check reads this many bytes a call
};

/// What the file's life asks of the caller.
struct DatasetFileHooks {
  /// Moves the file's bytes; false: a stop cut them short.
  std::function<bool(io::File&)> transfers;
  /// The file is about to be closed: the caller's queues let go of it.
  std::function<void(const io::File&)> release;
  /// --resume: the stream's n bytes at `stream_offset` into the buffer.
  std::function<void(std::uint64_t stream_offset, std::byte* buffer, std::uint64_t n)> generate;
  std::byte* buffer = nullptr;   ///< --resume: a transfer's room for the stream's bytes
  std::byte* scratch = nullptr;  ///< --resume: a transfer's room for what the file holds
};

/// The temporary files of the dataset files an error cut short, kept by --keep-partial, in the
/// order the threads kept them.
class KeptPartials {
 public:
  void add(const std::string& name);  ///< from any thread
  /// The names kept (read once the threads are done).
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::mutex lock_;
};

/// One file of a dataset, `e` (its final name from `layout`): see the file comment. Returns
/// whether it is whole (written and published, kept by --resume, or read); counts it in
/// `tally` (files, moved; --resume's kept one also its bytes and reused), its open, flush and
/// close times and latencies too. Throws what the transfers or a step throw (io::IoError), the
/// file removed or kept first.
bool move_dataset_file(io::Backend& backend, const io::Layout& layout, const io::Extent& e,
                       const DatasetFileRules& rules, const DatasetFileHooks& hooks,
                       KeptPartials& kept, Tally& tally);

}  // namespace dgen::storage
