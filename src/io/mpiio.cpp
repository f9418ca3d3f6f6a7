// The MPI-IO backend: the main thread moves the bytes (MPI_THREAD_FUNNELED) with
// MPI_File_write_at_all / read_at_all (collective) or MPI_File_write_at / read_at. A shared
// file is opened on the job's communicator, any other on MPI_COMM_SELF. MPI-IO's file
// operations return their errors (MPI_ERRORS_RETURN is the default for files).
#include <cstdlib>
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
  MpiioFile(MPI_File fh, std::string path, bool collective, bool nonblocking)
      : fh_(fh), path_(std::move(path)), collective_(collective), nonblocking_(nonblocking) {}
  ~MpiioFile() override {
    if (pending_ != MPI_REQUEST_NULL) MPI_Wait(&pending_, MPI_STATUS_IGNORE);
    if (fh_ != MPI_FILE_NULL) MPI_File_close(&fh_);
  }

  bool write_at(std::uint64_t off, const std::byte* p, std::size_t n) override {
    MPI_Status st;
    const int count = byte_count(n, path_);
    const auto o = static_cast<MPI_Offset>(off);
    const IoCall call(collective_ ? "MPI_File_write_at_all" : "MPI_File_write_at", path_, off, n);
    const int rc = collective_ ? MPI_File_write_at_all(fh_, o, p, count, MPI_BYTE, &st)
                               : MPI_File_write_at(fh_, o, p, count, MPI_BYTE, &st);
    check_moved(rc, st, off, n, "write to");
    return true;
  }

  bool read_at(std::uint64_t off, std::byte* p, std::size_t n) override {
    MPI_Status st;
    const int count = byte_count(n, path_);
    const auto o = static_cast<MPI_Offset>(off);
    const IoCall call(collective_ ? "MPI_File_read_at_all" : "MPI_File_read_at", path_, off, n);
    const int rc = collective_ ? MPI_File_read_at_all(fh_, o, p, count, MPI_BYTE, &st)
                               : MPI_File_read_at(fh_, o, p, count, MPI_BYTE, &st);
    check_moved(rc, st, off, n, "read from");
    return true;
  }

  std::size_t read_upto(std::uint64_t off, std::byte* p, std::size_t n) override {
    MPI_Status st;
    const int count = byte_count(n, path_);
    const auto o = static_cast<MPI_Offset>(off);
    const IoCall call(collective_ ? "MPI_File_read_at_all" : "MPI_File_read_at", path_, off, n);
    const int rc = collective_ ? MPI_File_read_at_all(fh_, o, p, count, MPI_BYTE, &st)
                               : MPI_File_read_at(fh_, o, p, count, MPI_BYTE, &st);
    if (rc != MPI_SUCCESS) {
      throw IoError("read from " + path_ + " failed at offset " + std::to_string(off) + ": " +
                    mpi_error(rc));
    }
    int moved = 0;
    MPI_Get_count(&st, MPI_BYTE, &moved);
    return static_cast<std::size_t>(moved < 0 ? 0 : moved);
  }

  // Nonblocking: the team generates the next transfer while this one is written.
  void start_write_at(std::uint64_t off, const std::byte* p, std::size_t n) override {
    if (!nonblocking_) {
      File::start_write_at(off, p, n);
      return;
    }
    const int count = byte_count(n, path_);
    const auto o = static_cast<MPI_Offset>(off);
    const IoCall call(collective_ ? "MPI_File_iwrite_at_all" : "MPI_File_iwrite_at", path_, off, n);
    const int rc = collective_ ? MPI_File_iwrite_at_all(fh_, o, p, count, MPI_BYTE, &pending_)
                               : MPI_File_iwrite_at(fh_, o, p, count, MPI_BYTE, &pending_);
    pending_offset_ = off;
    pending_bytes_ = n;
    if (rc != MPI_SUCCESS) {
      pending_ = MPI_REQUEST_NULL;
      throw IoError("write to " + path_ + " failed at offset " + std::to_string(off) + ": " +
                    mpi_error(rc));
    }
  }

  bool wait() override {
    if (pending_ == MPI_REQUEST_NULL) return true;
    MPI_Status st;
    const IoCall call(
        collective_ ? "MPI_Wait on MPI_File_iwrite_at_all" : "MPI_Wait on MPI_File_iwrite_at",
        path_, pending_offset_, pending_bytes_);
    const int rc = MPI_Wait(&pending_, &st);
    check_moved(rc, st, pending_offset_, pending_bytes_, "write to");
    return true;
  }

  void flush() override {
    const IoCall call("MPI_File_sync", path_);
    const int rc = MPI_File_sync(fh_);
    if (rc != MPI_SUCCESS) throw IoError("MPI_File_sync of " + path_ + " failed: " + mpi_error(rc));
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
    const int rc = MPI_File_close(&fh_);
    fh_ = MPI_FILE_NULL;
    if (rc != MPI_SUCCESS) throw IoError("MPI_File_close of " + path_ + ": " + mpi_error(rc));
  }

 private:
  void check_moved(int rc, MPI_Status& st, std::uint64_t off, std::size_t n, const char* what) {
    if (rc != MPI_SUCCESS) {
      throw IoError(std::string(what) + " " + path_ + " failed at offset " + std::to_string(off) +
                    " (a transfer of " + std::to_string(n) + " bytes): " + mpi_error(rc));
    }
    int moved = 0;
    MPI_Get_count(&st, MPI_BYTE, &moved);
    if (moved != static_cast<int>(n)) {
      throw IoError(std::string(what) + " " + path_ + " at offset " + std::to_string(off) + ": " +
                    std::to_string(moved) + " of " + std::to_string(n) +
                    " bytes moved (the file ends there or the device is full)");
    }
  }

  MPI_File fh_;
  std::string path_;
  bool collective_;
  bool nonblocking_;
  MPI_Request pending_ = MPI_REQUEST_NULL;
  std::uint64_t pending_offset_ = 0;
  std::size_t pending_bytes_ = 0;
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
    const int rc =
        MPI_File_open(shared ? world_ : MPI_COMM_SELF, path.c_str(), amode, MPI_INFO_NULL, &fh);
    if (rc != MPI_SUCCESS) {
      throw IoError("MPI_File_open of " + path + " failed: " + mpi_error(rc));
    }
    if (component_.empty()) component_ = describe();
    // ROMIO 3.2.1 (Open MPI 4.1's romio321) crashes in MPI_File_iwrite_at_all on local file
    // systems (a null function pointer in MPIOI_File_iwrite_all): it writes blocking.
    const bool romio = component_.find("romio") != std::string::npos;
    const bool collective = collective_ && shared;
    auto file = std::make_unique<MpiioFile>(fh, path, collective, !(romio && collective));
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

std::unique_ptr<Backend> make_mpiio_backend(MPI_Comm world, bool collective) {
  return std::make_unique<MpiioBackend>(world, collective);
}

}  // namespace dgen::io
