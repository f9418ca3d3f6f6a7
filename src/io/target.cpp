#include "io/target.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "dgen/size.hpp"
#include "verify/decode.hpp"

namespace dgen::io {

namespace {

namespace fs = std::filesystem;

// File systems that are the kernel's interface, not storage: writing them changes the running
// system (a sysctl, a cgroup limit, a device's state).
const char* kernel_fs_name(long type) {
  switch (static_cast<unsigned long>(type)) {
    case PROC_SUPER_MAGIC:
      return "proc";
    case SYSFS_MAGIC:
      return "sysfs";
    case CGROUP_SUPER_MAGIC:
      return "cgroup";
    case CGROUP2_SUPER_MAGIC:
      return "cgroup2";
    case DEBUGFS_MAGIC:
      return "debugfs";
    case TRACEFS_MAGIC:
      return "tracefs";
    case SECURITYFS_MAGIC:
      return "securityfs";
    case EFIVARFS_MAGIC:
      return "efivarfs";
    case BPF_FS_MAGIC:
      return "bpf";
    case PSTOREFS_MAGIC:
      return "pstore";
    case SELINUX_MAGIC:
      return "selinuxfs";
    case 0x62656570:  // configfs (CONFIGFS_MAGIC is not in linux/magic.h)
      return "configfs";
    case 0x65735543:  // fusectl
      return "fusectl";
    default:
      return "";
  }
}

std::string os_error(int e) { return std::strerror(e); }

std::uint64_t block_device_bytes(const std::string& path, int& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = errno;
    return 0;
  }
  std::uint64_t bytes = 0;
  if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) error = errno;
  ::close(fd);
  return bytes;
}

// A block device and its partitions: /dev name and "major:minor", from /sys/dev/block.
struct BlockNode {
  std::string name;   ///< "loop0p1"
  std::string devno;  ///< "259:0"
  std::string sys;    ///< its /sys directory
};

std::string first_line(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::vector<BlockNode> block_nodes(dev_t rdev) {
  std::vector<BlockNode> nodes;
  const std::string devno = std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev));
  std::error_code ec;
  const fs::path sys = fs::canonical("/sys/dev/block/" + devno, ec);
  if (ec) return {{"", devno, ""}};
  nodes.push_back({sys.filename().string(), devno, sys.string()});
  for (const auto& e : fs::directory_iterator(sys, ec)) {
    if (!fs::exists(e.path() / "partition", ec)) continue;
    const std::string part = first_line((e.path() / "dev").string());
    if (!part.empty()) nodes.push_back({e.path().filename().string(), part, e.path().string()});
  }
  return nodes;
}

// mountinfo escapes a space, tab, newline and backslash in a path as \ooo.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}
}  // namespace

const char* describe(TargetKind kind) {
  switch (kind) {
    case TargetKind::kMissing:
      return "a new file";
    case TargetKind::kRegular:
      return "a regular file";
    case TargetKind::kDirectory:
      return "a directory";
    case TargetKind::kBlockDevice:
      return "a block device";
    case TargetKind::kCharDevice:
      return "a character device";
    case TargetKind::kNullDevice:
      return "the null device";
    case TargetKind::kStream:
      return "a FIFO";
    case TargetKind::kSocket:
      return "a socket";
  }
  return "?";
}

Target inspect_target(const std::string& path) {
  Target t;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    t.error = errno == ENOENT ? 0 : errno;
    t.kind = TargetKind::kMissing;
  } else {
    t.device = st.st_dev;
    t.inode = st.st_ino;
    if (S_ISREG(st.st_mode)) {
      t.kind = TargetKind::kRegular;
      t.size = static_cast<std::uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      t.kind = TargetKind::kDirectory;
    } else if (S_ISBLK(st.st_mode)) {
      t.kind = TargetKind::kBlockDevice;
      int err = 0;
      t.size = block_device_bytes(path, err);
      if (err != 0) t.error = err;
    } else if (S_ISCHR(st.st_mode)) {
      t.kind = major(st.st_rdev) == 1 && minor(st.st_rdev) == 3 ? TargetKind::kNullDevice
                                                                : TargetKind::kCharDevice;
    } else if (S_ISSOCK(st.st_mode)) {
      t.kind = TargetKind::kSocket;
    } else {
      t.kind = TargetKind::kStream;
    }
  }
  // A new path: the directory it would be created in.
  std::error_code ec;
  const std::string where =
      t.kind == TargetKind::kMissing ? fs::absolute(path, ec).parent_path().string() : path;
  struct statfs sf {};
  if (statfs(where.c_str(), &sf) == 0) t.kernel_fs = kernel_fs_name(sf.f_type);
  return t;
}

std::string device_problem(const std::string& option, const std::string& path, const Target& target,
                           bool in_place, std::uint64_t bytes) {
  const std::string head = option + " " + path + ": ";
  if (!target.kernel_fs.empty()) {
    return head + "is on " + target.kernel_fs +
           ", a kernel interface, not storage: dgen_mpi never writes there";
  }
  const bool device =
      target.kind == TargetKind::kBlockDevice || target.kind == TargetKind::kCharDevice;
  if (device && !in_place) {
    return head + "is " + describe(target.kind) +
           "; writing it destroys what it holds: add --in-place to write the device itself";
  }
  if (target.kind == TargetKind::kBlockDevice) {
    if (target.error != 0) return head + "cannot read its size: " + os_error(target.error);
    if (const std::string held = block_device_in_use(option, path); !held.empty()) return held;
    if (bytes > target.size) {
      return head + std::to_string(bytes) + " bytes (" + format_size(bytes) +
             ") to write but the device holds " + std::to_string(target.size) + " (" +
             format_size(target.size) + ")";
    }
  }
  return "";
}

std::string follow_links(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return path;
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {  // the kernel's own limit on a chain
    if (lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::vector<char> buf(PATH_MAX + 1);
    const ssize_t n = readlink(p.c_str(), buf.data(), buf.size() - 1);
    if (n <= 0) return p;
    std::string to(buf.data(), static_cast<std::size_t>(n));
    if (to[0] != '/') {
      const std::size_t slash = p.rfind('/');
      to = (slash == std::string::npos ? std::string() : p.substr(0, slash + 1)) + to;
    }
    p = to;
  }
  return path;  // a loop: the open names it (ELOOP)
}

std::string block_device_in_use(const std::string& option, const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return "";
  // The kernel's own answer: an exclusive open fails while anything holds the device.
  const int fd = ::open(path.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
  const int err = fd < 0 ? errno : 0;
  if (fd >= 0) ::close(fd);
  // What holds it, by name: mounts of the device or a partition, swap, device-mapper or md.
  const std::vector<BlockNode> nodes = block_nodes(st.st_rdev);
  std::vector<std::string> uses;
  auto dev_name = [&](const BlockNode& n) { return n.name.empty() ? path : "/dev/" + n.name; };
  {
    std::ifstream info("/proc/self/mountinfo");
    std::string line;
    while (std::getline(info, line)) {
      std::istringstream words(line);
      std::string id, parent, devno, root, point;
      if (!(words >> id >> parent >> devno >> root >> point)) continue;
      for (const BlockNode& n : nodes)
        if (n.devno == devno)
          uses.push_back(dev_name(n) + " is mounted on " + unescape_octal(point));
    }
  }
  {
    std::ifstream swaps("/proc/swaps");
    std::string line;
    std::getline(swaps, line);  // the header
    while (std::getline(swaps, line)) {
      std::istringstream words(line);
      std::string file;
      struct stat sw {};
      if (!(words >> file) || stat(unescape_octal(file).c_str(), &sw) != 0 || !S_ISBLK(sw.st_mode))
        continue;
      for (const BlockNode& n : nodes) {
        if (n.devno == std::to_string(major(sw.st_rdev)) + ":" + std::to_string(minor(sw.st_rdev)))
          uses.push_back(dev_name(n) + " is a swap area");
      }
    }
  }
  for (const BlockNode& n : nodes) {
    if (n.sys.empty()) continue;
    std::error_code ec;
    for (const auto& h : fs::directory_iterator(n.sys + "/holders", ec)) {
      const std::string holder = h.path().filename().string();
      const std::string dm = first_line("/sys/class/block/" + holder + "/dm/name");
      uses.push_back(dev_name(n) + " is held by /dev/" + holder +
                     (dm.empty() ? std::string() : " (device-mapper " + dm + ")"));
    }
  }
  if (err != EBUSY && uses.empty()) return "";
  std::string why;
  for (const std::string& u : uses) why += (why.empty() ? "" : ", ") + u;
  if (why.empty()) why = "the kernel holds it (an exclusive open fails: " + os_error(err) + ")";
  return option + " " + path + ": is in use: " + why +
         "; writing it would destroy what is in use there (dgen_mpi writes only a device nothing "
         "holds: "
         "unmount it, swapoff, or remove what is stacked on it first)";
}

std::string replace_problem(
    const std::string& option, const std::string& path, std::uint64_t seed,
    const std::function<bool(const std::byte*, std::size_t, std::uint64_t)>& same_options) {
  const std::string head = option + " " + path + ": ";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return head + "exists but cannot be read to check it: " + os_error(errno);
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return "";  // nothing to lose
  }
  // The first data: a file this program was writing can start with a hole (a thread that had
  // not written its first transfer yet).
  off_t at = lseek(fd, 0, SEEK_DATA);
  if (at < 0) at = 0;  // ENXIO: holes only; EINVAL: SEEK_DATA unsupported; read from 0
  std::vector<std::byte> buf(8192);
  ssize_t got = 0;
  while (true) {
    got = pread(fd, buf.data(), buf.size(), at);
    if (got >= 0 || errno != EINTR) break;
  }
  const int err = errno;
  ::close(fd);
  if (got < 0) return head + "exists but cannot be read to check it: " + os_error(err);
  const auto n = static_cast<std::size_t>(got);
  if (n > 0 && (same_options(buf.data(), n, static_cast<std::uint64_t>(at)) ||
                verify::carries_stream_of(seed, buf.data(), n))) {
    return "";
  }
  char seed_text[24];
  std::snprintf(seed_text, sizeof seed_text, "0x%llx", static_cast<unsigned long long>(seed));
  return head + "exists (" + std::to_string(st.st_size) +
         " bytes) and does not hold dgen_mpi's stream of seed " + seed_text +
         "; it is left as it is: --overwrite replaces it, or give another path";
}

WriteLock::~WriteLock() {
  if (fd_ >= 0) ::close(fd_);
}

WriteLock& WriteLock::operator=(WriteLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

std::optional<WriteLock> WriteLock::take(const std::string& option, const std::string& path,
                                         std::string& error) {
  // O_RDONLY is enough for flock, and opens a device or a directory without side effects.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = option + " " + path + ": cannot open it to lock it: " + os_error(errno);
    return std::nullopt;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return WriteLock(fd);
  const int err = errno;
  struct stat st {};
  pid_t holder = 0;
  if (fstat(fd, &st) == 0) holder = lock_holder(st.st_dev, st.st_ino);
  ::close(fd);
  if (err != EWOULDBLOCK) {
    error = option + " " + path + ": cannot lock it: " + os_error(err);
  } else {
    error = option + " " + path + ": another process" +
            (holder > 0 ? " (pid " + std::to_string(holder) + ")" : std::string()) +
            " is writing it in place; two writers would mix their bytes";
  }
  return std::nullopt;
}

pid_t lock_holder(dev_t device, ino_t inode) {
  // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF"; waiters' lines hold "->".
  std::ifstream locks("/proc/locks");
  char id[32];
  std::snprintf(id, sizeof id, "%02x:%02x:%llu", major(device), minor(device),
                static_cast<unsigned long long>(inode));
  std::string line;
  while (std::getline(locks, line)) {
    if (line.find("->") != std::string::npos) continue;
    std::istringstream words(line);
    std::string number, kind, advisory, mode, where;
    long pid = 0;
    if (words >> number >> kind >> advisory >> mode >> pid >> where && pid > 0 && kind == "FLOCK" &&
        where == id)
      return static_cast<pid_t>(pid);
  }
  return 0;
}

}  // namespace dgen::io
