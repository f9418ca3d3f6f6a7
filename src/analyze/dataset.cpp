#include "analyze/dataset.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <tuple>

namespace dgen::analyze {

namespace {

std::string os_error(const std::string& what, const std::string& path, int err) {
  return "--analyze " + path + ": " + what + ": " + std::strerror(err);
}

std::uint64_t block_device_size(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(os_error("cannot open", path, errno));
  std::uint64_t bytes = 0;
  const int rc = ioctl(fd, BLKGETSIZE64, &bytes);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw InputError(os_error("BLKGETSIZE64", path, err));
  return bytes;
}

// What the walk has found so far, and which files it has listed.
struct Walk {
  Inputs in;
  // (0, st_dev, st_ino) of a regular file, (1, st_rdev, 0) of a block device: the same file or
  // device, whatever path names it.
  std::set<std::tuple<int, std::uint64_t, std::uint64_t>> seen;

  // False (and counted) when the file was listed already.
  bool first_time(int kind, std::uint64_t a, std::uint64_t b) {
    if (seen.insert({kind, a, b}).second) return true;
    in.same_file_skipped += 1;
    return false;
  }

  void add(const std::string& path, std::uint64_t size) {
    in.files.push_back({path, size});
    in.bytes += size;
  }
};

void walk(const std::string& dir, Walk& w) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) throw InputError(os_error("cannot read the directory", dir, errno));
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      names.emplace_back(e->d_name);
    errno = 0;
  }
  const int err = errno;
  closedir(d);
  if (err != 0) throw InputError(os_error("cannot read the directory", dir, err));
  std::sort(names.begin(), names.end());  // byte order, as LC_ALL=C sort
  for (const auto& name : names) {
    const std::string path = dir.back() == '/' ? dir + name : dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) throw InputError(os_error("cannot stat", path, errno));
    if (S_ISDIR(st.st_mode)) {
      walk(path, w);
    } else if (S_ISREG(st.st_mode)) {
      if (w.first_time(0, st.st_dev, st.st_ino))
        w.add(path, static_cast<std::uint64_t>(st.st_size));
    } else {
      w.in.skipped += 1;
    }
  }
}

}  // namespace

Inputs find_inputs(const std::vector<std::string>& paths) {
  Walk w;
  for (const auto& path : paths) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) throw InputError(os_error("cannot stat", path, errno));
    if (S_ISDIR(st.st_mode)) {
      walk(path, w);
    } else if (S_ISREG(st.st_mode)) {
      if (w.first_time(0, st.st_dev, st.st_ino))
        w.add(path, static_cast<std::uint64_t>(st.st_size));
    } else if (S_ISBLK(st.st_mode)) {
      if (w.first_time(1, st.st_rdev, 0)) w.add(path, block_device_size(path));
    } else {
      throw InputError("--analyze " + path + ": not a regular file, directory or block device");
    }
  }
  return std::move(w.in);
}

std::vector<FileExtent> share_of(const std::vector<InputFile>& files, int rank, int ranks,
                                 std::uint64_t alignment) {
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  // Where the cut for a global position lands: moved back to the alignment in its file.
  auto cut = [&](int r) -> std::uint64_t {
    const auto target =
        static_cast<std::uint64_t>(static_cast<unsigned __int128>(total) *
                                   static_cast<unsigned>(r) / static_cast<unsigned>(ranks));
    std::uint64_t start = 0;
    for (const auto& f : files) {
      if (target < start + f.size) return start + (target - start) / alignment * alignment;
      start += f.size;
    }
    return total;
  };
  const std::uint64_t begin = cut(rank), end = cut(rank + 1);
  std::vector<FileExtent> share;
  std::uint64_t start = 0;
  for (std::size_t i = 0; i < files.size() && start < end; ++i) {
    const std::uint64_t fb = start, fe = start + files[i].size;
    start = fe;
    const std::uint64_t b = std::max(fb, begin), e = std::min(fe, end);
    if (b < e) share.push_back({i, b - fb, e - fb});
  }
  return share;
}

std::uint64_t units_in(const std::vector<InputFile>& files, std::uint64_t unit) {
  std::uint64_t n = 0;
  for (const auto& f : files) n += (f.size + unit - 1) / unit;
  return n;
}

}  // namespace dgen::analyze
