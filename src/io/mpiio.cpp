// The MPI-IO backend: the main thread moves the bytes (MPI_THREAD_FUNNELED) with
// MPI_File_write_at_all / read_at_all (collective) or MPI_File_write_at / read_at. A shared
// file is opened on the job's communicator, any other on MPI_COMM_SELF. MPI-IO's file
// operations return their errors (MPI_ERRORS_RETURN is the default for files).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include "io/backend.hpp"
#include "io/watchdog.hpp"

namespace dgen::io {

namespace {

std::string mpi_error(int rc) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return std::string(text, static_cast<std::size_t>(len));
}

// The OS error a failed MPI-IO call left in errno, which MPI's error classes do not carry.
std::string os_error_after(int err) {
  return err != 0 && err != EINTR ? std::string(" (the OS error: ") + std::strerror(err) + ")" : "";
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

int byte_count(std::size_t n, const std::string& path) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw IoError(path + ": one MPI-IO call moves at most 2 GiB - 1 bytes");
  return static_cast<int>(n);
}

class MpiioFile final : public File {
 public:
  MpiioFile(MPI_File fh, std::string path, bool collective)
      : fh_(fh), path_(std::move(path)), collective_(collective) {}
  ~MpiioFile() override {
    if (fh_ != MPI_FILE_NULL) MPI_File_close(&fh_);
  }
  bool collective() const override { return collective_; }

  // A short count is a legal answer (a full disk, a signal, a FUSE or NFS server that takes
  // part of a call): the rest is written with independent calls, which any rank may make on a
  // collectively opened file, so every rank still joins each collective call once.
  bool write_at(std::uint64_t off, const std::byte* p, std::size_t n) override {
    std::size_t done = 0;
    for (bool first = true; first || done < n; first = false) {
      const bool all = collective_ && first;
      const std::size_t left = n - done;
      const std::size_t moved = move(all ? "MPI_File_write_at_all" : "MPI_File_write_at",
                                     off + done, const_cast<std::byte*>(p + done), left, true, all);
      if (moved == 0 && left > 0) {
        throw IoError("write to " + path_ + " at offset " + std::to_string(off + done) +
                      ": no bytes moved (" + std::to_string(done) + " of " + std::to_string(n) +
                      " bytes of the transfer written; the device may be full)");
      }
      done += moved;
    }
    return true;
  }

  bool read_at(std::uint64_t off, std::byte* p, std::size_t n) override {
    const std::size_t got = *read_upto(off, p, n);  // MPI-IO calls are not cut by a signal
    if (got < n) {
      throw IoError("read from " + path_ + " at offset " + std::to_string(off + got) +
                    ": the file ends there (" + std::to_string(n - got) + " more bytes expected)");
    }
    return true;
  }

  std::optional<std::size_t> read_upto(std::uint64_t off, std::byte* p, std::size_t n) override {
    std::size_t done = 0;
    for (bool first = true; first || done < n; first = false) {
      const bool all = collective_ && first;
      const std::size_t moved = move(all ? "MPI_File_read_at_all" : "MPI_File_read_at", off + done,
                                     p + done, n - done, false, all);
      if (moved == 0) break;  // the end of the file
      done += moved;
    }
    return done;
  }

  void flush() override {
    const IoCall call("MPI_File_sync", path_);
    errno = 0;
    const int rc = MPI_File_sync(fh_);
    const int os = errno;
    if (rc != MPI_SUCCESS)
      throw IoError("MPI_File_sync of " + path_ + " failed: " + mpi_error(rc) + os_error_after(os));
  }

  void set_size(std::uint64_t bytes) override {
    const IoCall call("MPI_File_set_size", path_);
    const int rc = MPI_File_set_size(fh_, static_cast<MPI_Offset>(bytes));
    if (rc != MPI_SUCCESS)
      throw IoError("MPI_File_set_size of " + path_ + " to " + std::to_string(bytes) +
                    " bytes failed: " + mpi_error(rc));
  }

  std::uint64_t size() override {
    MPI_Offset s = 0;
    const int rc = MPI_File_get_size(fh_, &s);
    if (rc != MPI_SUCCESS) throw IoError("MPI_File_get_size of " + path_ + ": " + mpi_error(rc));
    return static_cast<std::uint64_t>(s);
  }

  void close() override {
    if (fh_ == MPI_FILE_NULL) return;
    const IoCall call("MPI_File_close", path_);
    errno = 0;
    const int rc = MPI_File_close(&fh_);
    const int os = errno;
    fh_ = MPI_FILE_NULL;
    if (rc != MPI_SUCCESS)
      throw IoError("MPI_File_close of " + path_ + ": " + mpi_error(rc) + os_error_after(os));
  }

  const std::string& path() const override { return path_; }

 private:
  // One call of `n` bytes at `off`; returns the bytes moved. Throws IoError naming the call, the
  // offset, MPI's error and the OS error the call left (MPI's classes say little: EIO comes
  // back as MPI_ERR_OTHER).
  std::size_t move(const char* call_name, std::uint64_t off, std::byte* p, std::size_t n,
                   bool write, bool collective) {
    MPI_Status st;
    const int count = byte_count(n, path_);
    const auto o = static_cast<MPI_Offset>(off);
    const IoCall call(call_name, path_, off, n);
    errno = 0;
    int rc;
    if (write) {
      rc = collective ? MPI_File_write_at_all(fh_, o, p, count, MPI_BYTE, &st)
                      : MPI_File_write_at(fh_, o, p, count, MPI_BYTE, &st);
    } else {
      rc = collective ? MPI_File_read_at_all(fh_, o, p, count, MPI_BYTE, &st)
                      : MPI_File_read_at(fh_, o, p, count, MPI_BYTE, &st);
    }
    const int os = errno;
    if (rc != MPI_SUCCESS) {
      throw IoError(std::string(write ? "write to " : "read from ") + path_ + " failed at offset " +
                    std::to_string(off) + " (" + call_name + " of " + std::to_string(n) +
                    " bytes): " + mpi_error(rc) + os_error_after(os));
    }
    int moved = 0;
    MPI_Get_count(&st, MPI_BYTE, &moved);
    return moved > 0 ? static_cast<std::size_t>(moved) : 0;
  }

  MPI_File fh_;
  std::string path_;
  bool collective_;
};

class MpiioBackend final : public Backend {
 public:
  MpiioBackend(MPI_Comm world, bool collective) : world_(world), collective_(collective) {}

  const char* name() const override { return "mpiio"; }
  std::string component() const override { return component_; }
  bool threads_move_bytes() const override { return false; }

  std::unique_ptr<File> open(const std::string& path, const OpenMode& m, bool shared) override {
    if (m.direct) throw IoError(path + ": --direct is not available with --io mpiio");
    int amode = m.write ? (m.read_too ? MPI_MODE_RDWR : MPI_MODE_WRONLY) : MPI_MODE_RDONLY;
    if (m.create) amode |= MPI_MODE_CREATE;
    if (m.create && m.exclusive) amode |= MPI_MODE_EXCL;
    MPI_File fh = MPI_FILE_NULL;
    const IoCall call("MPI_File_open", path);
    errno = 0;
    const int rc =
        MPI_File_open(shared ? world_ : MPI_COMM_SELF, path.c_str(), amode, MPI_INFO_NULL, &fh);
    const int os = errno;
    if (rc != MPI_SUCCESS) {
      throw IoError("MPI_File_open of " + path + " failed: " + mpi_error(rc) + os_error_after(os));
    }
    if (component_.empty()) component_ = describe();
    // Blocking calls only: ROMIO 3.2.1 (Open MPI 4.1's romio321) crashes in
    // MPI_File_iwrite_at_all on local file systems (a null function pointer in
    // MPIOI_File_iwrite_all), OMPIO in MPI_Wait on a failed MPI_File_iwrite_at; the team
    // generates the next transfer while the main thread writes (storage.cpp).
    auto file = std::make_unique<MpiioFile>(fh, path, collective_ && shared);
    // MPI_MODE_CREATE keeps an existing file's bytes: cut it as O_TRUNC would.
    if (m.truncate) file->set_size(0);
    return file;
  }

 private:
  // Which MPI-IO component Open MPI picked: it loads the one it was told to use (--mca io,
  // OMPI_MCA_io, an mca-params.conf) or, by default, all of them and prefers OMPIO. Neither
  // lists hints in MPI_File_get_info here, so the process's mapped libraries tell.
  static std::string describe() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    bool ompio = false, romio = false;
    while (std::getline(maps, line)) {
      ompio = ompio || line.find("mca_io_ompio") != std::string::npos;
      romio = romio || line.find("mca_io_romio") != std::string::npos;
    }
    if (ompio) return "ompio, fcoll " + env_or("OMPI_MCA_fcoll", "auto");
    if (romio) {
      return "romio321" + std::string(std::getenv("ROMIO_HINTS") ? ", hints from ROMIO_HINTS" : "");
    }
    return "the MPI library's MPI-IO";
  }

  MPI_Comm world_;
  bool collective_;
  std::string component_;
};

}  // namespace

std::unique_ptr<Backend> make_mpiio_backend(const BackendArgs& args) {
  const auto collective = args.options.find("collective");
  return std::make_unique<MpiioBackend>(
      args.world, collective == args.options.end() || collective->second == "on");
}

std::optional<OptionRefusal> mpiio_check_options(const std::map<std::string, std::string>& given,
                                                 LayoutKind layout) {
  // Off is what a rank's own files get anyway; on would be dropped.
  const auto collective = given.find("collective");
  if (collective == given.end() || collective->second != "on" || layout == LayoutKind::kSharedFile)
    return std::nullopt;
  return OptionRefusal{"collective",
                       std::string("is for the shared file (a rank's own files have no "
                                   "collective calls), not ") +
                           (layout == LayoutKind::kDataset ? "--files" : "--file-per-rank")};
}

}  // namespace dgen::io
