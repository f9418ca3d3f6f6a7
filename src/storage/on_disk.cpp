#include "storage/on_disk.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace dgen::storage {

namespace fs = std::filesystem;

std::uint64_t length_on_disk(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::uint64_t whole_files_on_disk(const io::Layout& layout, const io::ExtentList& extents) {
  std::uint64_t n = 0;
  struct stat st {};
  for (const io::Extent& e : extents) {
    if (stat(io::file_path(layout, e.file).c_str(), &st) == 0 &&
        static_cast<std::uint64_t>(st.st_size) == e.length)
      ++n;
  }
  return n;
}

int stat_error(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? 0 : errno;
}

std::string parent_of(const std::string& path) { return fs::absolute(path).parent_path().string(); }

std::string directory_at(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) ? path : parent_of(path);
}

}  // namespace dgen::storage
