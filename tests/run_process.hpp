// Runs a command line through the shell and captures its exit code, stdout and stderr.
#pragma once

#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dgen::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// The dgen_mpi the tests run: the build's, or DGEN_TEST_BINARY (to show that a test fails
/// on an older build).
inline std::string binary_under_test(const char* built) {
  const char* other = std::getenv("DGEN_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : built;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Removes `path` and everything below it on its own file system: a mount still standing
/// inside (a test's loop device or FUSE mount) is left alone, never emptied.
inline void remove_tree_here(const std::string& path) {
  nftw(
      path.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) {
        std::remove(p);  // unlink or rmdir; a mount point's rmdir fails (EBUSY)
        return 0;
      },
      16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/// The test process's own directory under /tmp, removed when the process exits (by the process
/// that made it, not by a forked child).
inline std::string temp_dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/dgen-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    if (d == nullptr) return std::string("/tmp");
    static const pid_t maker = getpid();
    static std::string made(d);
    std::atexit([] {
      if (getpid() == maker) remove_tree_here(made);
    });
    return made;
  }();
  return dir;
}

/// A fresh directory under temp_dir(), removed with everything in it at the end.
struct ScratchDir {
  explicit ScratchDir(const std::string& name) : dir(temp_dir() + "/" + name) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string dir;
};

/// The environment every test command runs with, as a shell prefix: Open MPI is told that
/// running as root is intended (CI and these machines run as root), mpirun starts a node's
/// ranks from one thread (Open MPI 4.1's threaded start hangs now and then from 32 ranks on
/// one node) and ranks that share cores yield while they wait instead of spinning
/// (docs/running.md, "Many ranks on one node"). Values already in the environment win.
inline const char* const kMpiEnvironment =
    "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_odls_base_num_threads=${OMPI_MCA_odls_base_num_threads:-0} "
    "OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}; ";

/// Runs `command` with sh -c (in kMpiEnvironment); stdout and stderr go to files that are read
/// back.
inline ProcessResult run_shell(const std::string& command) {
  static int serial = 0;
  const std::string base = temp_dir() + "/run" + std::to_string(++serial);
  const std::string full = "(" + std::string(kMpiEnvironment) + command + ") >" + base + ".out 2>" +
                           base + ".err </dev/null";
  const int status = std::system(full.c_str());
  ProcessResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(base + ".out");
  r.err = read_file(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

/// Polls `event` every `step` until it holds (true) or `seconds` pass (false): the one way the
/// tests wait for something to happen, with a bound instead of a fixed delay.
inline bool poll_until(const std::function<bool()>& event, double seconds,
                       std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!event()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(step);
  }
  return true;
}

/// A command line running in the background (sh -c, its own process group), its stdout and
/// stderr going to files, so that a test can wait for an event it prints (a progress line, a
/// marker) or makes (a file that grows) before it sends a signal: never a fixed delay.
class Background {
 public:
  explicit Background(const std::string& command) {
    static int serial = 0;
    base_ = temp_dir() + "/bg" + std::to_string(getpid()) + "-" + std::to_string(++serial);
    const std::string full = std::string(kMpiEnvironment) + "exec " + command + " >" + base_ +
                             ".out 2>" + base_ + ".err </dev/null";
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid_, pid_);
  }
  ~Background() {
    if (pid_ > 0 && !reaped_) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::remove((base_ + ".out").c_str());
    std::remove((base_ + ".err").c_str());
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  std::string out() const { return read_file(base_ + ".out"); }
  std::string err() const { return read_file(base_ + ".err"); }

  /// Polls `event` every 10 ms until it holds (true) or `seconds` pass or the process ends
  /// first (false).
  bool wait_for(const std::function<bool()>& event, double seconds = 60) {
    bool ended = false;
    const bool held = poll_until([&] { return event() || (ended = exited()); }, seconds);
    return held && (!ended || event());
  }
  /// Waits until stderr matches `pattern`.
  bool wait_for_stderr(const std::string& pattern, double seconds = 60) {
    const std::regex re(pattern);
    return wait_for([&] { return std::regex_search(err(), re); }, seconds);
  }
  /// Sends `sig` to the process (the launched command itself, not its group).
  void signal(int sig) const { kill(pid_, sig); }
  /// Sends `sig` to the whole process group (mpirun and its ranks).
  void signal_group(int sig) const { kill(-pid_, sig); }
  /// Waits for the end (at most `seconds`, then SIGKILL) and returns what it did.
  ProcessResult wait(double seconds = 120) {
    ProcessResult r;
    if (!poll_until([&] { return exited(); }, seconds) && !exited()) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
    r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    r.out = out();
    r.err = err();
    return r;
  }
  /// Whether the process has ended (reaps it).
  bool exited() {
    if (reaped_) return true;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return reaped_;
  }

 private:
  std::string base_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

/// The bytes a --progress line says were done last ("write 1.50 GiB / 8 GiB ..."), 0 before the
/// first line. Units as dgen's format_size prints them.
inline double progress_bytes(const std::string& err) {
  static const std::regex line("([0-9.]+) (B|KiB|MiB|GiB|TiB) / ");
  double last = 0;
  for (auto it = std::sregex_iterator(err.begin(), err.end(), line); it != std::sregex_iterator();
       ++it) {
    const double v = std::stod((*it)[1].str());
    const std::string unit = (*it)[2].str();
    const double scale = unit == "B"     ? 1
                         : unit == "KiB" ? 1024.0
                         : unit == "MiB" ? 1048576.0
                         : unit == "GiB" ? 1073741824.0
                                         : 1099511627776.0;
    last = v * scale;
  }
  return last;
}

/// The regular files under `dir` (recursively), in name order, concatenated: the stream, when a
/// layout of many files holds it.
inline std::string concatenated(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) all += read_file(f);
  return all;
}

/// `s` without the blanks and tabs at either end (a table's cell).
inline std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

/// The size of `path`, 0 if it is missing.
inline std::uint64_t size_of(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(n);
}

}  // namespace dgen::test
