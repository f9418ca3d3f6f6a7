// Runs a command line through the shell and captures its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

inline std::string temp_dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/dgen-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
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

/// Runs `command` with sh -c; stdout and stderr go to files that are read back. Open MPI is
/// told that running as root is intended (CI and these machines run as root).
inline ProcessResult run_shell(const std::string& command) {
  static int serial = 0;
  const std::string base = temp_dir() + "/run" + std::to_string(++serial);
  const std::string full = "(export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; " +
                           command + ") >" + base + ".out 2>" + base + ".err </dev/null";
  const int status = std::system(full.c_str());
  ProcessResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(base + ".out");
  r.err = read_file(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

}  // namespace dgen::test
