// Storage modes on real file systems: ext4, xfs and btrfs images on loop devices, made, mounted,
// unmounted and removed by each test (also when it fails). O_DIRECT with each file system's
// own alignment, MPI-IO, datasets, a disk that runs out of inodes under --direct, and the
// data's compressibility as btrfs really stores it (compsize).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "dgen/generator.hpp"
#include "run_process.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::read_file;
using dgen::test::run_shell;

const std::string kBinary = dgen::test::binary_under_test(DGEN_MPI_BINARY);
const std::string kMpirun = "timeout 120 mpirun --oversubscribe ";

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

nlohmann::json run_json(const std::string& command) {
  const auto r = run_shell(command + " --format json");
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  if (r.exit_code != 0) return {};
  return nlohmann::json::parse(r.out);
}

std::string concatenated(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) all += read_file(f);
  return all;
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
