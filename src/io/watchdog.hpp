// A watchdog over the calls that may block on storage. A stuck file system (an NFS server or a
// Lustre OST that stops answering, a FUSE daemon that hangs) blocks a thread inside pwrite,
// fsync or an MPI-IO call, where no synchronisation point's timeout can see it. Every such
// call is registered for its duration (IoCall); with a limit set, a thread looks at them a few
// times a second and, when one has not returned within the limit, hands a sentence naming it
// ("pwrite of 1 MiB at offset 12582912 of /mnt/f has not returned for 5 s") to the handler,
// which ends the job. Processes waiting on FUSE, NFS (hard mounts since Linux 2.6.25) or Lustre
// are killable, so ending the job ends them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace dgen::io {

/// Registers one call for as long as the object lives; cheap (a per-thread slot, a lock no
/// other thread takes but the watchdog's). Nested registrations keep the outer one.
class IoCall {
 public:
  /// `op`: "pwrite", "fsync", "MPI_File_write_at_all", ...; `path` must outlive the call;
  /// `offset` and `bytes` are left out of the sentence when `bytes` is 0 and `offset` is
  /// UINT64_MAX.
  IoCall(const char* op, const std::string& path, std::uint64_t offset = UINT64_MAX,
         std::uint64_t bytes = 0);
  ~IoCall();
  IoCall(const IoCall&) = delete;
  IoCall& operator=(const IoCall&) = delete;

 private:
  int slot_ = -1;  ///< -1: not registered (nested, or no slot left)
};

/// Starts the watchdog thread: a call in flight longer than `seconds` is handed to `stuck`
/// once (it should not return: it ends the job). Calling it again replaces the limit.
void start_io_watchdog(double seconds, std::function<void(const std::string&)> stuck);

/// Stops the watchdog thread (before MPI_Finalize). Idempotent.
void stop_io_watchdog();

/// "pwrite of 1 MiB at offset 12582912 of /mnt/f": the call the calling thread has in flight,
/// empty when none. For tests and messages.
std::string current_io_call();

}  // namespace dgen::io
