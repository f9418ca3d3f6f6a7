// The table of backends (IOR's aiori table): what each offers, how it is made and the
// operations on names it keeps its files under. A new way of moving bytes is a file of its own
// in src/io/ and a row here.
#include "io/backend.hpp"

namespace dgen::io {

namespace {

std::string always() { return ""; }

}  // namespace

const std::vector<BackendRow>& backends() {
  static const std::vector<BackendRow> rows = {
      {{.name = "posix",
        .summary = "every thread pwrite()s and pread()s its transfers, one in flight each",
        .threads_move_bytes = true,
        .direct = true,
        .queue_depth = false,
        .streams = true},
       [](const BackendArgs& a) { return make_posix_backend(a.stop); },
       always,
       posix_namespace},
      {{.name = "mpiio",
        .summary = "MPI-IO from each rank's main thread (MPI_File_write_at_all, --collective off: "
                   "MPI_File_write_at) while the team generates the next transfer",
        .threads_move_bytes = false,
        .direct = false,
        .queue_depth = false,
        .options = {{"collective", "on|off", "on",
                     "MPI_File_write_at_all/read_at_all (on) or MPI_File_write_at/read_at (off) "
                     "on a shared file (a rank's own files: off)"}},
        .collective_calls = true,
        .no_direct_why = "neither OMPIO nor ROMIO offers O_DIRECT here",
        .check_options = mpiio_check_options},
       make_mpiio_backend,
       always,
       posix_namespace},
      {{.name = "uring",
        .summary = "io_uring: every thread keeps --iodepth transfers in flight, buffers and file "
                   "registered",
        .threads_move_bytes = true,
        .direct = true,
        .queue_depth = true},
       [](const BackendArgs& a) { return make_uring_backend(a.stop); },
       uring_unavailable,
       posix_namespace},
  };
  return rows;
}

const BackendRow* find_backend(const std::string& name) {
  for (const BackendRow& row : backends())
    if (name == row.traits.name) return &row;
  return nullptr;
}

}  // namespace dgen::io
