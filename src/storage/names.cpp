#include "storage/names.hpp"

#include <limits.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "dgen/size.hpp"
#include "io/partials.hpp"

namespace dgen::storage {

namespace {

namespace fs = std::filesystem;

// 64 random bits for the temporary name: the pid alone repeats across containers and pid
// namespaces on one file system.
std::uint64_t random_tag() {
  std::uint64_t tag = 0;
  if (getrandom(&tag, sizeof tag, 0) != static_cast<ssize_t>(sizeof tag)) {
    tag = static_cast<std::uint64_t>(getpid()) ^ (static_cast<std::uint64_t>(time(nullptr)) << 20);
  }
  return tag;
}

std::string hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string temporary_name(const std::string& path) {
  const std::string tag = io::kPartialMark + hex(random_tag());
  const fs::path p(path);
  if (p.filename().string().size() + tag.size() <= NAME_MAX) return path + tag;
  // The user's name stays whole: the temporary file is named by the mark alone.
  return (p.parent_path() / tag).string();
}

std::string parent_directory_problem(const std::string& path, const io::Namespace& names) {
  const fs::path dir = fs::absolute(path).parent_path();
  const std::string not_a_directory =
      std::string(" is not a directory (") + std::strerror(ENOTDIR) + ")";
  io::Entry e;
  try {
    e = names.stat(dir.string());
  } catch (const io::IoError&) {
    return "";  // EACCES and the like: the create that follows names the OS error
  }
  if (e.exists())
    return e.kind == io::Entry::Kind::kDirectory ? "" : dir.string() + not_a_directory;
  if (e.error == ENOTDIR) {
    // The nearest ancestor that exists is a file.
    for (fs::path up = dir.parent_path(); !up.empty() && up != up.parent_path();
         up = up.parent_path()) {
      try {
        const io::Entry u = names.stat(up.string());
        if (u.exists() && u.kind != io::Entry::Kind::kDirectory)
          return up.string() + not_a_directory;
      } catch (const io::IoError&) {
        // An ancestor that cannot be looked at is no answer: the next one up may be.
      }
    }
  }
  return "its directory " + dir.string() + " does not exist (" + std::strerror(ENOENT) + ")";
}

std::string space_problem(const std::string& path, const std::string& dir, std::uint64_t bytes,
                          std::uint64_t reusable, const io::Namespace& names) {
  io::Space space;
  try {
    space = names.space(dir);
  } catch (const io::IoError&) {
    return "";  // no figure to refuse on: the writes name what fails
  }
  if (space.capacity == 0 || bytes <= space.available + reusable) return "";
  return "--output " + path + ": " + format_size(bytes) + " to write but " +
         format_size(space.available) + " is free on " + dir;
}

std::string fsync_directory_of(const std::string& path, const io::Namespace& names) {
  const std::string dir = fs::absolute(path).parent_path().string();
  try {
    names.sync_dir(dir);
  } catch (const io::IoError& e) {
    // The namespace names a failed fsync itself; a directory that did not open is named
    // from the file's side.
    const std::string what = e.what();
    if (what.rfind("fsync of directory ", 0) == 0) return what;
    return path + ": cannot open its directory " + dir + ": " + std::strerror(e.error());
  }
  return "";
}

}  // namespace dgen::storage
