#include "storage/metadata.hpp"

#include <cstring>

#include "io/errors.hpp"

namespace dgen::storage {

namespace {

// The phase's own message for a failed call, the OS error kept for the exit code.
[[noreturn]] void failed(const char* what, const std::string& path, int error) {
  throw io::IoError(std::string(what) + " of " + path + " failed: " + std::strerror(error), error);
}

}  // namespace

void stat_file(const io::Namespace& names, const std::string& path) {
  io::Entry e;
  try {
    e = names.stat(path);
  } catch (const io::IoError& x) {
    failed("stat", path, x.error());
  }
  if (!e.exists()) failed("stat", path, e.error);
}

void remove_file(const io::Namespace& names, const std::string& path) {
  try {
    names.remove(path);
  } catch (const io::IoError& x) {
    failed("unlink", path, x.error());
  }
}

void remove_made_directories(const io::Namespace& names,
                             const std::vector<std::string>& made) noexcept {
  for (auto d = made.rbegin(); d != made.rend(); ++d) {
    try {
      names.rmdir(*d);
    } catch (const std::exception&) {
      // Not empty (a file that is not the dataset's), or gone: it stays as it is.
    }
  }
}

}  // namespace dgen::storage
