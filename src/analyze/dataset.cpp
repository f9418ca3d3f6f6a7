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

#include "io/errors.hpp"

namespace dgen::analyze {

namespace {

std::string os_error(const std::string& what, const std::string& path, int err) {
  return "--analyze " + path + ": " + what + ": " + std::strerror(err);
}

// What the walk has found so far, and which files it has listed.
struct Walk {
  Inputs in;
  bool strict = false;
  // (0, st_dev, st_ino) of a regular file, (1, st_rdev, 0) of a block device: the same file or
  // device, whatever path names it.
  std::set<std::tuple<int, std::uint64_t, std::uint64_t>> seen;

  // A directory or entry that cannot be read: the job's end with --strict, else counted.
  void unreadable(const std::string& path, const std::string& what, int err) {
    if (strict) throw InputError(os_error(what, path, err), io::exit_code_for_errno(err));
    in.unreadable += 1;
    if (in.unreadable_first.size() < kUnreadableNamed) {
      Unreadable u;
      u.path = path;
      u.what = what;
      u.error = err;
      u.message = std::strerror(err);
      u.order = in.files.size();
      u.in_walk = true;
      in.unreadable_first.push_back(u);
    }
  }

  // False (and counted) when the file was listed already.
  bool first_time(int kind, std::uint64_t a, std::uint64_t b) {
    if (seen.insert({kind, a, b}).second) return true;
    in.same_file_skipped += 1;
    return false;
  }

  void add(InputFile f) {
    in.bytes += f.size;
    in.files.push_back(std::move(f));
  }
};

InputFile regular_file(const std::string& path, const struct stat& st) {
  InputFile f;
  f.path = path;
  f.size = static_cast<std::uint64_t>(st.st_size);
  return f;
}

void walk(const std::string& dir, Walk& w) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return w.unreadable(dir, "cannot read the directory", errno);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      names.emplace_back(e->d_name);
    errno = 0;
  }
  const int err = errno;
  closedir(d);
  if (err != 0) return w.unreadable(dir, "cannot read the directory", err);
  std::sort(names.begin(), names.end());  // byte order, as LC_ALL=C sort
  for (const auto& name : names) {
    const std::string path = dir.back() == '/' ? dir + name : dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      w.unreadable(path, "cannot stat", errno);  // e.g. removed since the directory was read
    } else if (S_ISDIR(st.st_mode)) {
      walk(path, w);
    } else if (S_ISREG(st.st_mode)) {
      if (w.first_time(0, st.st_dev, st.st_ino)) w.add(regular_file(path, st));
    } else {
      w.in.skipped += 1;
    }
  }
}

}  // namespace

Inputs find_inputs(const std::vector<std::string>& paths, bool strict) {
  Walk w;
  w.strict = strict;
  for (const auto& path : paths) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      const int err = errno;
      throw InputError(os_error("cannot stat", path, err), io::exit_code_for_errno(err));
    }
    if (S_ISDIR(st.st_mode)) {
      walk(path, w);
    } else if (S_ISREG(st.st_mode)) {
      if (w.first_time(0, st.st_dev, st.st_ino)) w.add(regular_file(path, st));
    } else if (S_ISBLK(st.st_mode)) {
      if (!w.first_time(1, st.st_rdev, 0)) continue;
      // A block device's size comes from the device, which must be opened for it.
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        w.unreadable(path, "cannot open", errno);
        continue;
      }
      std::uint64_t bytes = 0;
      const int rc = ioctl(fd, BLKGETSIZE64, &bytes);
      const int err = errno;
      ::close(fd);
      if (rc != 0) {
        w.unreadable(path, "BLKGETSIZE64", err);
        continue;
      }
      InputFile f;
      f.path = path;
      f.size = bytes;
      w.add(std::move(f));
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
