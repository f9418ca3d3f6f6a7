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

// Where a file holds data, by SEEK_DATA/SEEK_HOLE, when its blocks say it may have holes
// (compressed file systems also give fewer blocks than bytes: such a file is then found to have
// no hole). A file that cannot be opened or probed here is listed whole: the rank that reads it
// finds why, and its holes are then read as zeros.
InputFile regular_file(const std::string& path, const struct stat& st) {
  InputFile f;
  f.path = path;
  f.size = static_cast<std::uint64_t>(st.st_size);
  if (f.size == 0 || static_cast<std::uint64_t>(st.st_blocks) * 512 >= f.size) return f;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return f;
  std::vector<Span> data;
  bool ok = true;
  for (std::uint64_t at = 0; at < f.size;) {
    const off_t d = lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (d < 0) {
      ok = errno == ENXIO;  // no data after `at`; anything else: no hole support
      break;
    }
    const off_t h = lseek(fd, d, SEEK_HOLE);
    if (h < 0 || h <= d) {
      ok = false;
      break;
    }
    const auto begin = static_cast<std::uint64_t>(d);
    const auto end = std::min(f.size, static_cast<std::uint64_t>(h));
    if (begin >= f.size) break;
    data.push_back({begin, end});
    at = end;
  }
  ::close(fd);
  if (!ok || (data.size() == 1 && data[0].begin == 0 && data[0].end == f.size)) return f;
  f.sparse = true;
  f.data = std::move(data);
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

std::vector<Span> data_runs(const InputFile& file, std::uint64_t alignment) {
  if (!file.sparse) return {{0, file.size}};
  std::vector<Span> runs;
  for (const Span& s : file.data) {
    const std::uint64_t b = s.begin / alignment * alignment;
    const std::uint64_t e =
        std::min(file.size, (s.end + alignment - 1) / alignment * alignment);  // s.end <= size
    if (!runs.empty() && b <= runs.back().end) {
      runs.back().end = std::max(runs.back().end, e);
    } else {
      runs.push_back({b, e});
    }
  }
  return runs;
}

std::vector<FileExtent> share_of(const std::vector<InputFile>& files, int rank, int ranks,
                                 std::uint64_t alignment) {
  std::uint64_t total = 0, work = 0;
  std::vector<std::vector<Span>> runs(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    total += files[i].size;
    runs[i] = data_runs(files[i], alignment);
    for (const Span& r : runs[i]) work += r.end - r.begin;
  }
  // Nothing to read (holes and empty files only): the bytes themselves are split.
  if (work == 0) {
    work = total;
    for (std::size_t i = 0; i < files.size(); ++i) runs[i] = {{0, files[i].size}};
  }
  // Where the cut for a position in the work lands: in the run that holds it, moved back to the
  // alignment in its file (a run starts at a multiple of it), as a position in the bytes.
  auto cut = [&](int r) -> std::uint64_t {
    if (r <= 0) return 0;
    const auto target =
        static_cast<std::uint64_t>(static_cast<unsigned __int128>(work) * static_cast<unsigned>(r) /
                                   static_cast<unsigned>(ranks));
    std::uint64_t start = 0, done = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      for (const Span& s : runs[i]) {
        if (target < done + (s.end - s.begin))
          return start + s.begin + (target - done) / alignment * alignment;
        done += s.end - s.begin;
      }
      start += files[i].size;
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

std::uint64_t units_that_may_differ(const std::vector<InputFile>& files, std::uint64_t unit) {
  std::uint64_t n = 0;
  for (const auto& f : files) {
    if (!f.sparse) {
      n += (f.size + unit - 1) / unit;
      continue;
    }
    n += 2;  // a whole unit of zeros and a partial last one
    for (const Span& r : data_runs(f, unit)) n += (r.end - r.begin + unit - 1) / unit;
  }
  return n;
}

}  // namespace dgen::analyze
