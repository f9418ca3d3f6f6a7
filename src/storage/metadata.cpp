#include "storage/metadata.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/backend.hpp"
#include "io/errors.hpp"
#include "io/watchdog.hpp"

namespace dgen::storage {

namespace {

[[noreturn]] void failed(const char* what, const std::string& path, int error) {
  throw io::IoError(std::string(what) + " of " + path + " failed: " + std::strerror(error), error);
}

}  // namespace

void stat_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) failed("stat", path, errno);
}

void remove_file(const std::string& path) {
  int error = 0;
  {
    const io::IoCall call("unlink", path);
    if (unlink(path.c_str()) != 0) error = errno;
  }
  if (error != 0) failed("unlink", path, error);
}

void remove_made_directories(const std::vector<std::string>& made) noexcept {
  for (auto d = made.rbegin(); d != made.rend(); ++d) rmdir(d->c_str());
}

}  // namespace dgen::storage
