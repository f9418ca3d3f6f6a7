// Storage modes on real file systems: ext4, xfs and btrfs images on loop devices, made, mounted,
// unmounted and removed by each test (also when it fails). O_DIRECT with each file system's
// own alignment, MPI-IO, datasets, a disk that runs out of inodes under --direct, and the
// data's compressibility as btrfs really stores it (compsize).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "dgen/generator.hpp"
#include "run_binary.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::concatenated;
using dgen::test::kBinary;
using dgen::test::kMpirun;
using dgen::test::read_file;
using dgen::test::run_shell;

using dgen::test::stream_text;

// An image file with a file system, mounted through a loop device for the test's lifetime.
class LoopFs {
 public:
  LoopFs(const std::string& type, const std::string& size, const std::string& mkfs_options,
         const std::string& mount_options = "")
      : image_(dgen::test::temp_dir() + "/" + type + ".img"),
        dir_(dgen::test::temp_dir() + "/" + type) {
    fs::create_directories(dir_);
    const auto r =
        run_shell("truncate -s " + size + " " + image_ + " && mkfs." + type + " " + mkfs_options +
                  " " + image_ + " >/dev/null && mount -o loop" +
                  (mount_options.empty() ? "" : "," + mount_options) + " " + image_ + " " + dir_);
    mounted_ = r.exit_code == 0;
    log_ = r.out + r.err;
  }
  ~LoopFs() {
    if (mounted_) run_shell("umount " + dir_);
    std::error_code ec;
    fs::remove(dir_, ec);
    fs::remove(image_, ec);
  }
  LoopFs(const LoopFs&) = delete;
  LoopFs& operator=(const LoopFs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& log() const { return log_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string image_, dir_, log_;
  bool mounted_ = false;
};

// The JSON report of `command` (a dgen_mpi command line without --format).
nlohmann::json run_json(const std::string& command) {
  return dgen::test::run_json(command + " --format json");
}

// Writes and reads back each layout with O_DIRECT; the bytes are the stream's.
void direct_layouts_hold_the_stream(const LoopFs& mnt) {
  dgen::DataSpec spec;
  spec.compress_ratio = 2;
  const std::string data = " --compress-ratio 2 --threads 2 --transfer 192KiB ";
  struct Case {
    std::string name, args;
    std::uint64_t bytes;
  } cases[] = {{"shared", "--size 3MiB", 6ULL << 20},
               {"per-rank", "--size 3MiB --file-per-rank", 6ULL << 20},
               {"dataset", "--files 9 --file-size 192KiB --files-per-dir 4", 9ULL * 192 * 1024}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string dir = mnt.dir() + "/" + c.name;
    fs::create_directories(dir);
    const std::string target = dir + (c.name == "dataset" ? "/ds" : "/out");
    const auto w = run_json(kMpirun + "-n 2 " + kBinary + " --direct --output " + target + " " +
                            c.args + data);
    ASSERT_FALSE(w.is_null());
    EXPECT_TRUE(w["storage"]["direct"].get<bool>());
    EXPECT_TRUE(concatenated(dir) == stream_text(spec, c.bytes));
    const auto r =
        run_json(kMpirun + "-n 2 " + kBinary + " --direct --input " + target + " " + c.args + data);
    ASSERT_FALSE(r.is_null());
    EXPECT_EQ(r["iterations"][0]["bytes"], c.bytes);
    fs::remove_all(dir);
  }
}

TEST(Filesystems, Ext4DirectLayoutsHoldTheStream) {
  LoopFs ext4("ext4", "64M", "-q -F -b 1024");
  ASSERT_TRUE(ext4.mounted()) << ext4.log();
  direct_layouts_hold_the_stream(ext4);
}

TEST(Filesystems, XfsDirectLayoutsAndMpiioHoldTheStream) {
  LoopFs xfs("xfs", "320M", "-q -f");
  ASSERT_TRUE(xfs.mounted()) << xfs.log();
  direct_layouts_hold_the_stream(xfs);
  const std::string target = xfs.dir() + "/mpiio.bin";
  for (const std::string& collective : {"on", "off"}) {
    SCOPED_TRACE(collective);
    const auto w = run_json(kMpirun + "-n 2 " + kBinary + " --io mpiio --collective " + collective +
                            " --size 5000000 --output " + target);
    ASSERT_FALSE(w.is_null());
    EXPECT_TRUE(read_file(target) == stream_text(dgen::DataSpec{}, 10000000));
  }
}

// Inodes run out under --direct on a small ext4 (the free-byte check passes): the create
// that fails is named with the OS error, and only whole files are left.
TEST(Filesystems, Ext4OutOfInodesUnderDirectKeepsOnlyWholeFiles) {
  LoopFs ext4("ext4", "64M", "-q -F -b 1024 -N 64");
  ASSERT_TRUE(ext4.mounted()) << ext4.log();
  const std::uint64_t size = 16 * 1024;
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --direct --files 400 --file-size " +
                           std::to_string(size) + " --output " + ext4.dir() + "/ds --threads 2");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("cannot create " + ext4.dir() + "/ds/d0/f"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  const std::string all = stream_text(dgen::DataSpec{}, 400 * size);
  int whole = 0;
  for (const auto& e : fs::recursive_directory_iterator(ext4.dir() + "/ds")) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    ASSERT_EQ(name.find(".dgen-partial"), std::string::npos) << name;
    EXPECT_TRUE(read_file(e.path().string()) == all.substr(std::stoul(name.substr(1)) * size, size))
        << name;
    ++whole;
  }
  EXPECT_GT(whole, 0);
  EXPECT_LT(whole, 400);
}

// A loop device over a 320 MiB image with an MBR partition table (one partition from 1 MiB to
// the end), its partition's node made by partx where the kernel did not scan the table; everything
// it mounted, swapped or stacked is undone, and the device detached, at the end.
class PartitionedLoop {
 public:
  explicit PartitionedLoop(const std::string& image) : image_(image) {
    {
      std::string mbr(512, '\0');
      const std::uint32_t start = 2048, sectors = 320 * 2048 - start;  // a 320 MiB image
      mbr[446 + 4] = '\x83';                                           // Linux
      for (int b = 0; b < 4; ++b) {
        mbr[446 + 8 + b] = static_cast<char>((start >> (8 * b)) & 0xff);
        mbr[446 + 12 + b] = static_cast<char>((sectors >> (8 * b)) & 0xff);
      }
      mbr[510] = '\x55';
      mbr[511] = '\xaa';
      std::ofstream out(image, std::ios::binary);
      out << mbr;
    }
    fs::resize_file(image, 320ULL << 20);  // sparse; xfs needs 300 MB
    const auto r = run_shell("losetup -f --show -P " + image);
    if (r.exit_code != 0) return;
    device = r.out.substr(0, r.out.find('\n'));
    partition = device + "p1";
    if (!fs::exists(partition)) run_shell("partx -a " + device);
    if (!fs::exists(partition)) partition.clear();
  }
  ~PartitionedLoop() {
    for (auto m = mounts_.rbegin(); m != mounts_.rend(); ++m) run_shell("umount " + *m);
    for (const auto& s : swaps_) run_shell("swapoff " + s);
    for (const auto& d : mapped_) run_shell("dmsetup remove " + d);
    if (!device.empty()) {
      run_shell("partx -d " + device);
      run_shell("losetup -d " + device);
    }
    std::error_code ec;
    fs::remove(image_, ec);
  }
  PartitionedLoop(const PartitionedLoop&) = delete;
  PartitionedLoop& operator=(const PartitionedLoop&) = delete;

  // Makes a file system of `type` on `dev` and mounts it on `dir`; false with the log if not.
  bool mount(const std::string& type, const std::string& dev, const std::string& dir,
             std::string& log) {
    fs::create_directories(dir);
    const std::string force = type == "xfs" ? " -f" : " -F";
    const auto r =
        run_shell("mkfs." + type + " -q" + force + " " + dev + " && mount " + dev + " " + dir);
    log = r.out + r.err;
    if (r.exit_code == 0) mounts_.push_back(dir);
    return r.exit_code == 0;
  }
  void unmount_last() {
    run_shell("umount " + mounts_.back());
    mounts_.pop_back();
  }
  bool swap_on(const std::string& dev) {
    if (run_shell("mkswap " + dev + " >/dev/null && swapon " + dev).exit_code != 0) return false;
    swaps_.push_back(dev);
    return true;
  }
  void swap_off() {
    run_shell("swapoff " + swaps_.back());
    swaps_.pop_back();
  }
  bool map(const std::string& name, const std::string& dev) {
    const auto r = run_shell("dmsetup create " + name + " --table \"0 $(blockdev --getsz " + dev +
                             ") linear " + dev + " 0\"");
    if (r.exit_code != 0) return false;
    mapped_.push_back(name);
    return true;
  }

  std::string device, partition;

 private:
  std::string image_;
  std::vector<std::string> mounts_, swaps_, mapped_;
};

// --in-place onto a block device the kernel holds (mounted, a partition of it mounted, swap,
// device-mapper over it) is refused before the first byte, naming the device and what holds
// it; the file system on it stays whole. Free again, the device is written.
TEST(Filesystems, AMountedOrHeldBlockDeviceIsNeverWrittenInPlace) {
  dgen::test::ScratchDir scratch("held-device");
  PartitionedLoop loop(scratch.dir + "/disk.img");
  ASSERT_FALSE(loop.device.empty()) << "losetup failed";
  const std::string mnt = scratch.dir + "/mnt";
  std::string log;
  auto refused = [&](const std::string& target, const std::string& why) {
    for (const std::string& io : {"posix", "mpiio", "uring"}) {
      const auto r =
          run_shell(kBinary + " --size 1MiB --in-place --io " + io + " --output " + target);
      EXPECT_EQ(r.exit_code, 2) << target << " " << io << "\n" << r.err;
      EXPECT_NE(r.err.find("--output " + target + ": is in use: " + why), std::string::npos)
          << io << "\n"
          << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
  };
  auto intact = [&](const std::string& file, const std::string& text) {
    EXPECT_EQ(read_file(file), text) << "the file system under the device was written";
  };
  // The whole device mounted (ext4), then a partition of it (xfs): the device and the
  // partition are both refused, naming the partition and its mount point.
  ASSERT_TRUE(loop.mount("ext4", loop.device, mnt, log)) << log;
  std::ofstream(mnt + "/kept") << "what the user keeps";
  refused(loop.device, loop.device + " is mounted on " + mnt);
  intact(mnt + "/kept", "what the user keeps");
  loop.unmount_last();
  if (loop.partition.empty()) {
    GTEST_SKIP() << "no partition node for " << loop.device << " (partx)";
  }
  ASSERT_TRUE(loop.mount("xfs", loop.partition, mnt, log)) << log;
  std::ofstream(mnt + "/kept") << "on the partition";
  refused(loop.device, loop.partition + " is mounted on " + mnt);
  refused(loop.partition, loop.partition + " is mounted on " + mnt);
  intact(mnt + "/kept", "on the partition");
  loop.unmount_last();
  // Swap on the partition; device-mapper over it (where the kernel has them).
  if (loop.swap_on(loop.partition)) {
    refused(loop.device, loop.partition + " is a swap area");
    loop.swap_off();
  }
  // Free, the partition is written in place.
  const auto w = run_shell(kBinary + " --size 1MiB --in-place --output " + loop.partition);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_TRUE(read_file(loop.partition).substr(0, 1 << 20) == stream_text({}, 1 << 20));
  if (loop.map("dgen-held-" + std::to_string(getpid()), loop.partition)) {
    refused(loop.partition, loop.partition + " is held by /dev/dm-");
  }
}

// btrfs with compress-force=zstd:3 compresses every 128 KiB extent and stores it in whole 4 KiB
// sectors; compsize reports what it really stored. The ratio dgen_mpi was asked for is what
// the file system gets.
TEST(Filesystems, BtrfsStoresWhatTheCompressionRatioPromises) {
  LoopFs btrfs("btrfs", "256M", "-q -f", "compress-force=zstd:3");
  ASSERT_TRUE(btrfs.mounted()) << btrfs.log();
  for (double ratio : {1.0, 2.0, 4.0}) {
    SCOPED_TRACE(ratio);
    const std::string file = btrfs.dir() + "/c.bin";
    const auto w = run_shell(kBinary + " --size 32MiB --compress-ratio " + std::to_string(ratio) +
                             " --output " + file + " && sync && compsize -b " + file);
    ASSERT_EQ(w.exit_code, 0) << w.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(w.out, m, std::regex(R"(TOTAL\s+\d+%\s+(\d+)\s+(\d+))")))
        << w.out;
    const double disk = std::stod(m[1]), uncompressed = std::stod(m[2]);
    EXPECT_EQ(uncompressed, 32.0 * 1024 * 1024);
    EXPECT_NEAR(uncompressed / disk, ratio, 0.03 * ratio) << w.out;
    fs::remove(file);
  }
}

}  // namespace
