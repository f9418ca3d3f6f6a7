#include "io/partials.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "verify/decode.hpp"

namespace dgen::io {

namespace {

namespace fs = std::filesystem;

// Whether the file's first data (after any hole) holds the stream of `seed`.
bool holds_seed(const std::string& path, std::uint64_t seed) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  off_t at = lseek(fd, 0, SEEK_DATA);
  if (at < 0) at = 0;
  std::byte buf[8192];
  const ssize_t n = pread(fd, buf, sizeof buf, at);
  ::close(fd);
  return n >= 16 && verify::carries_stream_of(seed, buf, static_cast<std::size_t>(n));
}

bool is_hex_tag(const std::string& s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::vector<std::string> find_partials(const std::string& path, std::uint64_t seed,
                                       std::uint64_t length) {
  const fs::path p = fs::absolute(path);
  const std::string name = p.filename().string();
  const std::string mark = kPartialMark;
  // A name too long for NAME.<mark><tag> had its temporary file named <mark><tag> alone.
  const bool long_name = name.size() + mark.size() + 16 > NAME_MAX;
  const std::string prefix = long_name ? mark : name + mark;
  std::vector<std::pair<std::int64_t, std::string>> found;
  DIR* d = opendir(p.parent_path().c_str());
  if (d == nullptr) return {};
  while (const dirent* e = readdir(d)) {
    const std::string entry = e->d_name;
    if (entry.size() != prefix.size() + 16 || entry.compare(0, prefix.size(), prefix) != 0)
      continue;
    if (!is_hex_tag(entry.substr(prefix.size()))) continue;
    const std::string candidate = (p.parent_path() / entry).string();
    struct stat st {};
    if (lstat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) > length || !holds_seed(candidate, seed))
      continue;
    const std::int64_t mtime =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    found.emplace_back(mtime, candidate);
  }
  closedir(d);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::uint64_t remove_dataset_partials(const Layout& layout, std::uint64_t seed) {
  std::vector<std::string> dirs = dataset_directories(layout);
  if (dirs.empty()) dirs.push_back(layout.path);
  const std::string mark = kPartialMark;
  std::uint64_t removed = 0;
  for (const std::string& dir : dirs) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> doomed;
    while (const dirent* e = readdir(d)) {
      const std::string entry = e->d_name;
      const auto at = entry.find(mark);
      if (at == std::string::npos || entry.size() != at + mark.size() + 16) continue;
      if (!is_hex_tag(entry.substr(at + mark.size()))) continue;
      // A partial is one of the dataset's own names (f<index>) plus the mark and a tag.
      const std::string base = entry.substr(0, at);
      if (base.size() < 2 || base[0] != 'f' ||
          !std::all_of(base.begin() + 1, base.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      const std::uint64_t k = std::strtoull(base.c_str() + 1, nullptr, 10);
      if (k >= layout.files || file_path(layout, k) != dir + "/" + base) continue;
      const std::string full = dir + "/" + entry;
      struct stat st {};
      if (lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          (st.st_size == 0 || holds_seed(full, seed)))
        doomed.push_back(full);
    }
    closedir(d);
    for (const auto& f : doomed) removed += unlink(f.c_str()) == 0 ? 1 : 0;
  }
  return removed;
}

}  // namespace dgen::io
