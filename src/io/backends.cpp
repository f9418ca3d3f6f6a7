// The table of backends (IOR's aiori table): what each offers, how it is made and the
// operations on names it keeps its files under. A new way of moving bytes is a file of its own
// in src/io/ and a row here.
#include "io/backend.hpp"

namespace dgen::io {

#ifdef DGEN_WITH_HDF5
/// HDF5 over MPI-IO (hdf5.cpp), built where parallel HDF5 is found (CMake's DGEN_WITH_HDF5).
std::unique_ptr<Backend> make_hdf5_backend(const BackendArgs& args);
/// The hdf5 row's refusal of its options with `layout` (BackendTraits::check_options).
std::optional<OptionRefusal> hdf5_check_options(const std::map<std::string, std::string>& given,
                                                LayoutKind layout);
#endif

namespace {

std::string always() { return ""; }

}  // namespace

std::uint64_t Backend::stream_bytes(const std::string&, std::uint64_t on_disk) { return on_disk; }

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
#ifdef DGEN_WITH_HDF5
      {{.name = "hdf5",
        .summary = "parallel HDF5 over MPI-IO from each rank's main thread (IOR -a HDF5): the "
                   "stream in a 1-D dataset of bytes per file, a shared file's ranks each a "
                   "hyperslab (--collective off: independent H5Dwrite)",
        .threads_move_bytes = false,
        .direct = false,
        .queue_depth = false,
        .options = {{"collective", "on|off", "on",
                     "collective H5Dwrite/H5Dread (on) or independent ones (off) on a shared file "
                     "(a rank's own files: independent)"},
                    {"hdf5-dataset", "NAME", "/data",
                     "the dataset that holds the stream in each HDF5 file (groups on the way are "
                     "made)"},
                    {"hdf5-chunk", "SIZE", "",
                     "chunked datasets of SIZE-byte chunks (at most 4 GiB - 1); without it "
                     "contiguous, as IOR"}},
        .partial_overwrite = false,
        .collective_calls = true,
        .no_direct_why = "HDF5 moves its bytes through MPI-IO, which offers no O_DIRECT here",
        .check_options = hdf5_check_options,
        .no_partial_why = "its files are HDF5 containers that each write makes whole"},
       make_hdf5_backend,
       always,
       posix_namespace},
#endif
  };
  return rows;
}

const BackendRow* find_backend(const std::string& name) {
  for (const BackendRow& row : backends())
    if (name == row.traits.name) return &row;
  return nullptr;
}

}  // namespace dgen::io
