// The HDF5 engine (IOR -a HDF5): each file is an HDF5 file holding the stream in one 1-D dataset
// of unsigned bytes (--hdf5-dataset, /data by default), contiguous or chunked (--hdf5-chunk), a
// transfer at file offset X being the dataset's elements [X, X + n). Parallel HDF5 over MPI-IO:
// a shared file is created and opened by every rank of the job together (H5Pset_fapl_mpio on
// its communicator), each transfer a hyperslab of the rank's extent, moved by collective or
// independent H5Dwrite/H5Dread (--collective); any other file on MPI_COMM_SELF. The HDF5 library
// is not built thread-safe: only the main thread calls it (threads_move_bytes is false). A
// dataset's length is fixed when it is created (OpenMode::length), as IOR's are.
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "io/backend.hpp"
#include "io/watchdog.hpp"

namespace dgen::io {

namespace {

// The error HDF5 left on its stack: the API call's own sentence and, where it differs, the
// innermost cause ("H5Fcreate(): unable to create file; ... errno = 17, error message = 'File
// exists'"). Clears the stack.
std::string h5_error() {
  struct Found {
    std::string outer, inner;
  } found;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        auto* f = static_cast<Found*>(data);
        const std::string desc = e->desc != nullptr ? e->desc : "";
        if (n == 0) f->outer = std::string(e->func_name ? e->func_name : "HDF5") + "(): " + desc;
        f->inner = desc;
        return 0;
      },
      &found);
  H5Eclear2(H5E_DEFAULT);
  if (found.outer.empty()) return "an HDF5 error";
  return found.inner.empty() || found.outer.ends_with(found.inner)
             ? found.outer
             : found.outer + "; " + found.inner;
}

// An HDF5 identifier, closed with its own close function when it goes.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes it now; false when the close failed (the error is on HDF5's stack).
  bool reset() {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    return id < 0 || close_(id) >= 0;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// `id`, or an IoError naming `what` of `path` and HDF5's error when it is invalid.
Id checked(hid_t id, herr_t (*close)(hid_t), const char* what, const std::string& path, int os) {
  if (id < 0) {
    throw IoError(std::string(what) + " of " + path + " failed: " + h5_error() +
                      (os != 0 ? std::string(" (the OS error: ") + std::strerror(os) + ")" : ""),
                  os);
  }
  return Id(id, close);
}

// A file access property list for the MPI-IO driver on `comm`.
Id mpio_access(MPI_Comm comm, const std::string& path) {
  Id fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", path, 0);
  if (H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL) < 0)
    throw IoError("H5Pset_fapl_mpio for " + path + " failed: " + h5_error());
  return fapl;
}

// The length of a 1-D dataset of one-byte integers; throws IoError naming what it is instead.
std::uint64_t byte_dataset_length(hid_t dataset, const std::string& name, const std::string& path) {
  const Id type = checked(H5Dget_type(dataset), H5Tclose, "H5Dget_type", path, 0);
  const Id space = checked(H5Dget_space(dataset), H5Sclose, "H5Dget_space", path, 0);
  hsize_t dims[1] = {0};
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 1 ||
      H5Sget_simple_extent_ndims(space.get()) != 1 ||
      H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 1) {
    throw IoError(path + ": the dataset " + name +
                  " is not a 1-D dataset of bytes (an HDF5 file of another program?)");
  }
  return static_cast<std::uint64_t>(dims[0]);
}

class Hdf5File final : public File {
 public:
  Hdf5File(std::string path, Id file, Id dataset, Id dxpl, std::uint64_t length, bool chunked,
           bool collective)
      : path_(std::move(path)),
        file_(std::move(file)),
        dataset_(std::move(dataset)),
        dxpl_(std::move(dxpl)),
        length_(length),
        chunked_(chunked),
        collective_(collective) {}
  // Closes without reporting errors (the path after a failure): the dataset before the file,
  // which the MPI-IO driver's close degree (semi) requires.
  ~Hdf5File() override {
    dxpl_.reset();
    dataset_.reset();
    file_.reset();
    H5Eclear2(H5E_DEFAULT);
  }

  // A transfer beyond the dataset's end moves its part inside first: on a collectively opened
  // file every rank still makes the call, then the error is thrown.
  bool write_at(std::uint64_t off, const std::byte* p, std::size_t n) override {
    const std::size_t inside = within(off, n);
    move("H5Dwrite", off, const_cast<std::byte*>(p), inside, true);
    if (inside < n) {
      throw IoError("write to " + path_ + " at offset " + std::to_string(off + inside) +
                    ": beyond the dataset's " + std::to_string(length_) + " bytes");
    }
    return true;
  }

  bool read_at(std::uint64_t off, std::byte* p, std::size_t n) override {
    const std::size_t got = *read_upto(off, p, n);
    if (got < n) {
      throw IoError("read from " + path_ + " at offset " + std::to_string(off + got) +
                    ": the dataset ends there (" + std::to_string(n - got) +
                    " more bytes expected)");
    }
    return true;
  }

  std::optional<std::size_t> read_upto(std::uint64_t off, std::byte* p, std::size_t n) override {
    const std::size_t inside = within(off, n);
    move("H5Dread", off, p, inside, false);
    return inside;
  }

  // H5Fflush is collective on a shared file; the MPI-IO driver then syncs (MPI_File_sync).
  void flush() override {
    const IoCall call("H5Fflush", path_);
    errno = 0;
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) {
      const int os = errno;
      throw IoError("H5Fflush of " + path_ + " failed: " + h5_error(), os);
    }
  }

  // A chunked dataset takes a new length up to the one it was made with (H5Dset_extent); a
  // contiguous one keeps its length.
  void set_size(std::uint64_t bytes) override {
    if (bytes == length_) return;
    if (!chunked_) {
      throw IoError(path_ + ": a contiguous HDF5 dataset keeps its " + std::to_string(length_) +
                    " bytes (--hdf5-chunk makes one that can shrink)");
    }
    const hsize_t dims[1] = {static_cast<hsize_t>(bytes)};
    const IoCall call("H5Dset_extent", path_);
    if (H5Dset_extent(dataset_.get(), dims) < 0)
      throw IoError("H5Dset_extent of " + path_ + " to " + std::to_string(bytes) +
                    " bytes failed: " + h5_error());
    length_ = bytes;
  }

  std::uint64_t size() override { return length_; }
  bool collective() const override { return collective_; }

  void close() override {
    if (!file_.valid()) return;
    const IoCall call("H5Fclose", path_);
    errno = 0;
    bool ok = dxpl_.reset();
    ok = dataset_.reset() && ok;
    ok = file_.reset() && ok;
    const int os = errno;
    if (!ok) throw IoError("closing the HDF5 file " + path_ + " failed: " + h5_error(), os);
  }

  const std::string& path() const override { return path_; }

 private:
  // The bytes of [off, off + n) inside the dataset.
  std::size_t within(std::uint64_t off, std::size_t n) const {
    return off >= length_ ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(n, length_ - off));
  }

  // One H5Dwrite or H5Dread of the dataset's elements [off, off + n) from or into p; n = 0 selects
  // nothing (a rank joining a collective call without data).
  void move(const char* call_name, std::uint64_t off, std::byte* p, std::size_t n, bool write) {
    const hsize_t count[1] = {static_cast<hsize_t>(std::max<std::size_t>(n, 1))};
    const Id memory =
        checked(H5Screate_simple(1, count, nullptr), H5Sclose, "H5Screate_simple", path_, 0);
    const Id file_space = checked(H5Dget_space(dataset_.get()), H5Sclose, "H5Dget_space", path_, 0);
    const hsize_t start[1] = {static_cast<hsize_t>(off)};
    const bool selected =
        n == 0 ? H5Sselect_none(memory.get()) >= 0 && H5Sselect_none(file_space.get()) >= 0
               : H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count,
                                     nullptr) >= 0;
    if (!selected) throw IoError("selecting bytes of " + path_ + " failed: " + h5_error());
    const IoCall call(call_name, path_, off, n);
    errno = 0;
    const herr_t rc = write ? H5Dwrite(dataset_.get(), H5T_NATIVE_UCHAR, memory.get(),
                                       file_space.get(), dxpl_.get(), p)
                            : H5Dread(dataset_.get(), H5T_NATIVE_UCHAR, memory.get(),
                                      file_space.get(), dxpl_.get(), p);
    const int os = errno;
    if (rc < 0) {
      throw IoError(
          std::string(write ? "write to " : "read from ") + path_ + " failed at offset " +
              std::to_string(off) + " (" + call_name + " of " + std::to_string(n) +
              " bytes): " + h5_error() +
              (os != 0 && os != EINTR ? std::string(" (the OS error: ") + std::strerror(os) + ")"
                                      : ""),
          os);
    }
  }

  std::string path_;
  Id file_, dataset_, dxpl_;
  std::uint64_t length_;
  bool chunked_;
  bool collective_;  // every rank joins each transfer call (H5FD_MPIO_COLLECTIVE)
};

class Hdf5Backend final : public Backend {
 public:
  Hdf5Backend(MPI_Comm world, bool collective, std::string dataset, std::uint64_t chunk)
      : world_(world), collective_(collective), dataset_(std::move(dataset)), chunk_(chunk) {
    // The errors are named in dgen's sentences (h5_error), not printed by HDF5 on stderr.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }

  const char* name() const override { return "hdf5"; }

  std::string component() const override {
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    return "HDF5 " + std::to_string(major) + "." + std::to_string(minor) + "." +
           std::to_string(release) + " over MPI-IO, dataset " + dataset_ + ", " +
           (chunk_ > 0 ? "chunks of " + std::to_string(chunk_) + " bytes" : "contiguous") + ", " +
           (collective_ ? "collective" : "independent") + " transfers on a shared file";
  }

  bool threads_move_bytes() const override { return false; }

  std::unique_ptr<File> open(const std::string& path, const OpenMode& m, bool shared) override {
    if (m.direct) throw IoError(path + ": --direct is not available with --io hdf5");
    if (m.write && m.read_too) {
      throw IoError(path + ": an HDF5 file is made whole by each write: no partial one is read " +
                    "back and continued");
    }
    // A file that must exist is looked for first: H5Fcreate would make it.
    if (m.write && !m.create && access(path.c_str(), F_OK) != 0) {
      const int os = errno;
      throw IoError("cannot open " + path + ": " + std::strerror(os), os);
    }
    const Id fapl = mpio_access(shared ? world_ : MPI_COMM_SELF, path);
    const IoCall call(m.write ? "H5Fcreate" : "H5Fopen", path);
    errno = 0;
    // A write makes the file anew (as IOR's): O_EXCL where asked, else over what is there.
    Id file = m.write ? checked(H5Fcreate(path.c_str(),
                                          m.create && m.exclusive ? H5F_ACC_EXCL : H5F_ACC_TRUNC,
                                          H5P_DEFAULT, fapl.get()),
                                H5Fclose, "H5Fcreate", path, errno)
                      : checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose,
                                "H5Fopen", path, errno);
    Id dataset;
    std::uint64_t length = m.length;
    const bool chunked = m.write && chunk_ > 0 && length > 0;
    if (m.write) {
      dataset = create_dataset(file.get(), path, length, chunked);
    } else {
      dataset = checked(H5Dopen2(file.get(), dataset_.c_str(), H5P_DEFAULT), H5Dclose,
                        ("H5Dopen2 of the dataset " + dataset_).c_str(), path, 0);
      length = byte_dataset_length(dataset.get(), dataset_, path);
    }
    Id dxpl = checked(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate", path, 0);
    const bool collective = collective_ && shared;
    if (H5Pset_dxpl_mpio(dxpl.get(), collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT) < 0)
      throw IoError("H5Pset_dxpl_mpio for " + path + " failed: " + h5_error());
    return std::make_unique<Hdf5File>(path, std::move(file), std::move(dataset), std::move(dxpl),
                                      length, chunked, collective);
  }

  // The dataset's length: the stream bytes the file holds.
  std::uint64_t stream_bytes(const std::string& path, std::uint64_t) override {
    const Id fapl = mpio_access(MPI_COMM_SELF, path);
    const IoCall call("H5Fopen", path);
    errno = 0;
    const Id file = checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, "H5Fopen",
                            path, errno);
    const Id dataset = checked(H5Dopen2(file.get(), dataset_.c_str(), H5P_DEFAULT), H5Dclose,
                               ("H5Dopen2 of the dataset " + dataset_).c_str(), path, 0);
    return byte_dataset_length(dataset.get(), dataset_, path);
  }

 private:
  // The 1-D dataset of `length` unsigned bytes, its groups made on the way (--hdf5-dataset
  // /a/b/data). No fill value is written (IOR's --hdf5.noFill): every byte is the stream's.
  Id create_dataset(hid_t file, const std::string& path, std::uint64_t length, bool chunked) {
    const hsize_t dims[1] = {static_cast<hsize_t>(length)};
    const Id space =
        checked(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple", path, 0);
    const Id dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", path, 0);
    const Id lcpl = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate", path, 0);
    const hsize_t chunk[1] = {static_cast<hsize_t>(std::min(chunk_, length))};
    if (H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER) < 0 ||
        H5Pset_create_intermediate_group(lcpl.get(), 1) < 0 ||
        (chunked && H5Pset_chunk(dcpl.get(), 1, chunk) < 0))
      throw IoError("the dataset's properties for " + path + ": " + h5_error());
    const IoCall call("H5Dcreate2", path);
    return checked(H5Dcreate2(file, dataset_.c_str(), H5T_NATIVE_UCHAR, space.get(), lcpl.get(),
                              dcpl.get(), H5P_DEFAULT),
                   H5Dclose, ("H5Dcreate2 of the dataset " + dataset_).c_str(), path, 0);
  }

  MPI_Comm world_;
  bool collective_;
  std::string dataset_;
  std::uint64_t chunk_;
};

std::string option_or(const BackendArgs& a, const char* name, const char* fallback) {
  const auto it = a.options.find(name);
  return it != a.options.end() ? it->second : fallback;
}

}  // namespace

std::optional<OptionRefusal> hdf5_check_options(const std::map<std::string, std::string>& given,
                                                LayoutKind layout) {
  if (const auto c = given.find("collective");
      c != given.end() && c->second == "on" && layout != LayoutKind::kSharedFile) {
    // A rank's own files have no collective calls: on would be dropped.
    return OptionRefusal{"collective",
                         std::string("is for the shared file (a rank's own files have no "
                                     "collective calls), not ") +
                             (layout == LayoutKind::kDataset ? "--files" : "--file-per-rank")};
  }
  if (const auto d = given.find("hdf5-dataset"); d != given.end() && d->second.empty())
    return OptionRefusal{"hdf5-dataset", "must name a dataset (/data, /group/name)"};
  // HDF5 counts a chunk's elements in 32 bits (H5Pset_chunk).
  if (const auto c = given.find("hdf5-chunk");
      c != given.end() && std::stoull(c->second) > 0xFFFFFFFFULL) {
    return OptionRefusal{"hdf5-chunk", "is more than HDF5's largest chunk, 4 GiB - 1 bytes"};
  }
  return std::nullopt;
}

std::unique_ptr<Backend> make_hdf5_backend(const BackendArgs& a) {
  const std::string chunk = option_or(a, "hdf5-chunk", "");  // none: contiguous
  return std::make_unique<Hdf5Backend>(a.world, option_or(a, "collective", "on") == "on",
                                       option_or(a, "hdf5-dataset", "/data"),
                                       chunk.empty() ? 0 : std::stoull(chunk));
}

}  // namespace dgen::io
