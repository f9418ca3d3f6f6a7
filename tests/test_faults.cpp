// Faults injected for real, under every write, read and verify path: tests/faultfs (a FUSE
// pass-through file system) makes writes fail with EIO or ENOSPC, fsync fail, writes come back
// short, bytes flip on the way to storage or back, calls go slow or never return. Each path
// (posix with threads, O_DIRECT, MPI-IO on a shared file, a file per rank, a dataset) meets
// each fault, and the run must end as promised (docs/reliability.md, "The fault matrix"): a
// non-zero exit naming the error, no file at a final name that is not the whole stream, short
// writes retried so the file is exactly the stream, every flipped byte found at its offset by
// --verify, a hang ended by --timeout naming the call.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "dgen/generator.hpp"
#include "run_binary.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::kBinary;
using dgen::test::read_file;
using dgen::test::run_shell;

// The file system every test runs on: BACK mirrored at MNT, faults from a rules file.
class FaultFs {
 public:
  FaultFs() : root_(dgen::test::temp_dir() + "/faultfs") {
    back = root_ + "/back";
    mnt = root_ + "/mnt";
    rules_ = root_ + "/rules";
    log_ = root_ + "/log";
    fs::create_directories(back);
    fs::create_directories(mnt);
    std::ofstream(rules_).flush();
    if (std::string(DGEN_FAULTFS).empty()) {
      problem = "faultfs was not built: libfuse3-dev is missing (bash scripts/setup-debian.sh)";
      return;
    }
    if (!fs::exists("/dev/fuse")) {
      problem = "/dev/fuse is missing: this kernel or container has no FUSE";
      return;
    }
    // In the foreground, as this process's child that dies with it (PR_SET_PDEATHSIG): a test
    // killed by its timeout leaves no mount behind. Attributes uncached: the tests look at BACK
    // between runs.
    daemon_ = fork();
    if (daemon_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      execl(DGEN_FAULTFS, DGEN_FAULTFS, back.c_str(), mnt.c_str(), "-f", "--rules-file",
            rules_.c_str(), "--log", log_.c_str(), "-o",
            "attr_timeout=0,entry_timeout=0,negative_timeout=0", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Mounted, or the daemon gave up (then the mount never comes).
    dgen::test::poll_until(
        [&] { return mounted() || waitpid(daemon_, nullptr, WNOHANG) == daemon_; }, 10);
    mounted_ = mounted();
    if (!mounted_) problem = "faultfs did not mount at " + mnt;
  }
  // Whether the mount point is a FUSE mount now (/proc/self/mounts).
  bool mounted() const {
    return read_file("/proc/self/mounts").find(" " + mnt + " fuse.") != std::string::npos;
  }
  ~FaultFs() {
    set({});
    if (mounted_ && run_shell("fusermount3 -u " + mnt).exit_code != 0)
      run_shell("umount -l " + mnt);
    if (daemon_ > 0) {
      kill(daemon_, SIGTERM);
      waitpid(daemon_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  /// The rules from now on (the daemon takes them at its next request).
  void set(const std::vector<std::string>& rules) const {
    {
      std::ofstream tmp(rules_ + ".tmp");
      for (const auto& r : rules) tmp << r << "\n";
    }
    fs::rename(rules_ + ".tmp", rules_);
    // A request makes the daemon load them now: a rule left out and put back starts afresh.
    std::error_code ec;
    (void)fs::status(mnt, ec);
  }
  /// An empty BACK, no rules.
  void reset() const {
    set({});
    for (const auto& e : fs::directory_iterator(back)) fs::remove_all(e.path());
  }
  std::string log() const { return read_file(log_); }

  std::string back, mnt, problem;

 private:
  std::string root_, rules_, log_;
  bool mounted_ = false;
  pid_t daemon_ = -1;
};

FaultFs& faultfs() {
  static FaultFs f;
  return f;
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(faultfs().problem.empty()) << faultfs().problem;
    faultfs().reset();
  }
  void TearDown() override { faultfs().reset(); }
};

// A file the layout writes: its name under the target, where its bytes start in the stream,
// and its length.
struct FileOf {
  std::string name;
  std::uint64_t stream_offset, length;
};

// One way of writing and reading the stream.
struct Path {
  std::string name;
  std::string launcher;  // "" (one process) or mpirun
  std::string layout;    // options after --output/--input PATH
  std::string target;    // PATH, relative to the mount
  std::vector<FileOf> files;
  std::string write_call;  // what the watchdog names for a hung write
};

const std::string kMpirun2 = dgen::test::kMpirun + "-n 2 ";
constexpr std::uint64_t kMiB = 1 << 20;

std::vector<Path> paths() {
  std::vector<FileOf> ds;
  for (std::uint64_t k = 0; k < 6; ++k)
    ds.push_back({"ds/d0/f" + std::to_string(k), k * 512 * 1024, 512 * 1024});
  return {
      {"posix", "", " --size 4MiB --threads 2", "f", {{"f", 0, 4 * kMiB}}, "pwrite"},
      {"direct", "", " --size 4MiB --threads 2 --direct", "f", {{"f", 0, 4 * kMiB}}, "pwrite"},
      {"uring",
       "",
       " --size 4MiB --threads 2 --io uring --iodepth 4 --transfer 256KiB",
       "f",
       {{"f", 0, 4 * kMiB}},
       "io_uring write"},
      {"uring-direct",
       "",
       " --size 4MiB --threads 1 --io uring --iodepth 8 --direct",
       "f",
       {{"f", 0, 4 * kMiB}},
       "io_uring write"},
      {"mpiio",
       kMpirun2,
       " --size 2MiB --threads 1 --io mpiio",
       "f",
       {{"f", 0, 4 * kMiB}},
       "MPI_File_"},
      {"file-per-rank",
       kMpirun2,
       " --size 2MiB --threads 1 --file-per-rank",
       "f",
       {{"f.00000000", 0, 2 * kMiB}, {"f.00000001", 2 * kMiB, 2 * kMiB}},
       "pwrite"},
      {"dataset", kMpirun2, " --files 6 --file-size 512KiB --threads 1 --files-per-dir 10", "ds",
       ds, "pwrite"},
  };
}

std::string write_command(const Path& p, const std::string& extra = "") {
  return p.launcher + kBinary + " --output " + faultfs().mnt + "/" + p.target + p.layout + extra;
}
std::string read_command(const Path& p, const std::string& extra = "") {
  return p.launcher + kBinary + " --input " + faultfs().mnt + "/" + p.target + p.layout + extra;
}

std::string stream(std::uint64_t offset, std::uint64_t n) {
  std::string out(n, '\0');
  dgen::Generator(dgen::DataSpec{}).generate(offset, {reinterpret_cast<std::byte*>(out.data()), n});
  return out;
}

// Every regular file in BACK, relative names.
std::vector<std::string> files_in_back() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(faultfs().back))
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), faultfs().back).string());
  std::sort(out.begin(), out.end());
  return out;
}

// No file at a final name that is not the whole stream there, and no temporary file left.
void expect_only_whole_files(const Path& p) {
  for (const std::string& f : files_in_back()) {
    EXPECT_EQ(f.find(".dgen-partial-"), std::string::npos) << p.name << ": " << f << " left";
    bool known = false;
    for (const FileOf& x : p.files) {
      if (x.name != f) continue;
      known = true;
      EXPECT_TRUE(read_file(faultfs().back + "/" + f) == stream(x.stream_offset, x.length))
          << p.name << ": " << f << " is at its final name but is not the whole stream";
    }
    EXPECT_TRUE(known) << p.name << ": unexpected file " << f;
  }
  // A shared file, or a file per rank, is renamed only when the job completes.
  if (p.name != "dataset") {
    for (const FileOf& x : p.files)
      EXPECT_FALSE(fs::exists(faultfs().back + "/" + x.name)) << p.name << ": " << x.name;
  }
}

void expect_the_stream(const Path& p) {
  for (const FileOf& x : p.files) {
    const std::string got = read_file(faultfs().back + "/" + x.name);
    EXPECT_EQ(got.size(), x.length) << p.name << ": " << x.name;
    EXPECT_TRUE(got == stream(x.stream_offset, x.length)) << p.name << ": " << x.name;
  }
}

// A write error: exit 4, one line naming the file and the OS error, only whole files left.
void expect_write_error(const std::string& rule, const std::string& os_error) {
  for (const Path& p : paths()) {
    SCOPED_TRACE(p.name + ", " + rule);
    faultfs().reset();
    faultfs().set({rule});
    const auto r = run_shell(write_command(p));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    // FUSE's asynchronous direct I/O (io_uring with O_DIRECT) reports a write cut short by the
    // fault as EIO (fuse_aio_complete), whatever the daemon answered.
    const bool fuse_aio = p.name == "uring-direct";
    EXPECT_TRUE(r.err.find(os_error) != std::string::npos ||
                (fuse_aio && r.err.find("Input/output error") != std::string::npos))
        << r.err;
    EXPECT_NE(r.err.find(faultfs().mnt + "/" + p.target), std::string::npos) << r.err;
    EXPECT_NE(faultfs().log().find("fault="), std::string::npos) << "the fault never fired";
    expect_only_whole_files(p);
  }
}

TEST_F(Faults, EioOnWriteEndsEveryPathWithNoFileThatLooksComplete) {
  expect_write_error("op=write,fault=eio,after=1M", "Input/output error");
}

TEST_F(Faults, EnospcOnWriteEndsEveryPathWithNoFileThatLooksComplete) {
  expect_write_error("op=write,fault=enospc,after=1536K", "No space left on device");
}

TEST_F(Faults, EioOnFsyncEndsEveryPathWithNoFileThatLooksComplete) {
  expect_write_error("op=fsync,fault=eio", "Input/output error");
}

// A short write is a legal answer: the rest is written, and the file is exactly the stream.
TEST_F(Faults, ShortWritesAreRetriedSoTheFileIsTheStream) {
  for (const Path& p : paths()) {
    // FUSE's asynchronous direct I/O (io_uring with O_DIRECT) reports a short write as EIO
    // (fuse_aio_complete), so there is no short count to continue there.
    if (p.name == "uring-direct") continue;
    SCOPED_TRACE(p.name);
    faultfs().reset();
    faultfs().set({"op=write,fault=short,every=2"});
    const auto r = run_shell(write_command(p));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(faultfs().log().find("fault=short"), std::string::npos);
    expect_the_stream(p);
  }
}

// A flipped byte on the way to storage: --output --verify finds it at its offset.
TEST_F(Faults, AByteFlippedOnWriteIsFoundAtItsOffset) {
  for (const Path& p : paths()) {
    SCOPED_TRACE(p.name);
    faultfs().reset();
    const FileOf& victim = p.files.back();
    const std::uint64_t at = 12345;  // in the victim file
    faultfs().set({"path=/" + victim.name + "*,op=write,fault=flip,offset=" + std::to_string(at)});
    const auto r = run_shell(write_command(p, " --verify --format json"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["verify"]["mismatched_bytes"], 1);
    ASSERT_EQ(j["verify"]["mismatches"].size(), 1u);
    EXPECT_EQ(j["verify"]["mismatches"][0]["offset"], victim.stream_offset + at);
    EXPECT_EQ(j["verify"]["mismatches"][0]["file"], faultfs().mnt + "/" + victim.name);
    EXPECT_EQ(j["verify"]["mismatches"][0]["file_offset"], at);
  }
}

// A flipped byte on the way back: --input --verify finds it; the stored file is intact.
TEST_F(Faults, AByteFlippedOnReadIsFoundAtItsOffsetAndTheFileIsIntact) {
  for (const Path& p : paths()) {
    SCOPED_TRACE(p.name);
    faultfs().reset();
    const auto w = run_shell(write_command(p));
    ASSERT_EQ(w.exit_code, 0) << w.err;
    const FileOf& victim = p.files.front();
    const std::uint64_t at = 777777 % victim.length;
    faultfs().set({"path=/" + victim.name + ",op=read,fault=flip,offset=" + std::to_string(at)});
    const auto r = run_shell(read_command(p, " --verify --format json"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["verify"]["mismatched_bytes"], 1);
    ASSERT_EQ(j["verify"]["mismatches"].size(), 1u);
    EXPECT_EQ(j["verify"]["mismatches"][0]["offset"], victim.stream_offset + at);
    faultfs().set({});
    expect_the_stream(p);
  }
}

TEST_F(Faults, EioOnReadEndsEveryReadPath) {
  for (const Path& p : paths()) {
    SCOPED_TRACE(p.name);
    faultfs().reset();
    ASSERT_EQ(run_shell(write_command(p)).exit_code, 0);
    faultfs().set({"op=read,fault=eio,after=256K"});
    for (const std::string& extra : {std::string(), std::string(" --verify")}) {
      const auto r = run_shell(read_command(p, extra));
      EXPECT_EQ(r.exit_code, 4) << extra << "\n" << r.err;
      EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
    }
  }
}

// Slow storage is still storage: every byte arrives.
TEST_F(Faults, SlowCallsStillGiveTheStream) {
  for (const Path& p : paths()) {
    SCOPED_TRACE(p.name);
    faultfs().reset();
    faultfs().set({"op=write|fsync,fault=slow,ms=30,every=3"});
    const auto r = run_shell(write_command(p, " --verify"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(faultfs().log().find("fault=slow"), std::string::npos);
    expect_the_stream(p);
  }
}

// A call that never returns: --timeout names it (the call, the bytes, the offset, the file)
// and ends the job with exit code 124, whether one rank or all of them are stuck.
// A hang is capped at 30 s in the file system, so that a watchdog that failed ends in a test
// failure, not a wedged test suite. io_uring with O_DIRECT on FUSE is left out: the kernel makes
// the call inside io_uring_enter and waits for FUSE uninterruptibly (fuse_direct_IO, state D),
// so no signal ends it until the daemon answers; this is FUSE's doing (buffered io_uring and
// O_DIRECT pwrite are both killable).
constexpr const char* kHangCap = ",ms=30000";
bool hang_ends_by_signal(const Path& p) { return p.name != "uring-direct"; }

TEST_F(Faults, AWriteThatNeverReturnsIsNamedAndEndedByTheTimeout) {
  for (const Path& p : paths()) {
    if (!hang_ends_by_signal(p)) continue;
    SCOPED_TRACE(p.name);
    faultfs().reset();
    // The victim file's second write (its first for a dataset file of one transfer).
    const FileOf& victim = p.files.back();
    const std::string after = victim.length > kMiB ? ",after=1M" : "";
    faultfs().set({"path=/" + victim.name + "*,op=write,fault=hang" + after + kHangCap});
    const auto r = run_shell("timeout 60 " + write_command(p, " --timeout 2"));
    faultfs().set({});  // the killed callers' requests are interrupted; nothing stays hung
    EXPECT_EQ(r.exit_code, 124) << r.err;
    EXPECT_NE(r.err.find(p.write_call), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("has not returned for 2 s; ending the job"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" of " + faultfs().mnt + "/" + p.files.back().name), std::string::npos)
        << r.err;
  }
}

TEST_F(Faults, ReadsAndFlushesThatNeverReturnAreEndedByTheTimeout) {
  for (const Path& p : paths()) {
    if (!hang_ends_by_signal(p)) continue;
    SCOPED_TRACE(p.name);
    faultfs().reset();
    ASSERT_EQ(run_shell(write_command(p)).exit_code, 0);
    faultfs().set({std::string("op=read,fault=hang") + kHangCap});
    auto r = run_shell("timeout 60 " + read_command(p, " --verify --timeout 2"));
    faultfs().set({});
    EXPECT_EQ(r.exit_code, 124) << r.err;
    EXPECT_NE(r.err.find("has not returned for 2 s"), std::string::npos) << r.err;
    faultfs().reset();
    faultfs().set({std::string("op=fsync,fault=hang") + kHangCap});
    r = run_shell("timeout 60 " + write_command(p, " --timeout 2"));
    faultfs().set({});
    EXPECT_EQ(r.exit_code, 124) << r.err;
    EXPECT_NE(r.err.find("sync"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("has not returned for 2 s"), std::string::npos) << r.err;
  }
}

// --keep-partial after a write that failed (ENOSPC, EIO) or was ended by --timeout: every
// partial file the run wrote stays under the name the message gives (a dataset: the temporary
// files of the files the error cut short), the message names every one that stays, and with
// the fault gone --resume completes the output, which --verify then reads back whole. Each
// layout, with 1 and 2 ranks, through posix, io_uring and MPI-IO.
struct KeepCase {
  std::string name, launcher, layout, target;
};
struct KeepFault {
  std::string name, rule;
  int exit_code;
};

std::ostream& operator<<(std::ostream& o, const KeepCase& c) { return o << c.name; }
std::ostream& operator<<(std::ostream& o, const KeepFault& f) { return o << f.name; }

const KeepCase kKeepCases[] = {
    {"shared_posix_1", "", " --size 4MiB --threads 2", "f"},
    {"shared_uring_1", "", " --size 4MiB --threads 2 --io uring --iodepth 4 --transfer 256KiB",
     "f"},
    {"shared_posix_2", kMpirun2, " --size 2MiB --threads 1", "f"},
    {"shared_mpiio_2", kMpirun2, " --size 2MiB --threads 1 --io mpiio", "f"},
    {"file_per_rank_1", "", " --size 4MiB --threads 2 --file-per-rank", "f"},
    {"file_per_rank_2", kMpirun2, " --size 2MiB --threads 1 --file-per-rank", "f"},
    {"dataset_1", "", " --files 6 --file-size 512KiB --threads 1 --files-per-dir 10", "ds"},
    {"dataset_2", kMpirun2, " --files 6 --file-size 512KiB --threads 1 --files-per-dir 10", "ds"},
};
// The fault arms at 1.25 MiB: in the middle of a transfer and of a dataset file.
const KeepFault kKeepFaults[] = {
    {"enospc", "op=write,fault=enospc,after=1280K", 4},
    {"eio", "op=write,fault=eio,after=1280K", 4},
};

// The temporary files a message names (PATH.dgen-partial-<16 hex digits> under the mount), as
// paths in BACK.
std::vector<std::string> partials_named(const std::string& text) {
  const std::string mnt = faultfs().mnt + "/", mark = ".dgen-partial-";
  std::vector<std::string> out;
  for (std::size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + 1)) {
    const std::size_t start = text.rfind(mnt, at);
    if (start == std::string::npos || at + mark.size() + 16 > text.size()) continue;
    const std::string name = text.substr(start, at + mark.size() + 16 - start);
    out.push_back(faultfs().back + "/" + name.substr(mnt.size()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> partials_in_back() {
  std::vector<std::string> out;
  for (const std::string& f : files_in_back())
    if (f.find(".dgen-partial-") != std::string::npos) out.push_back(faultfs().back + "/" + f);
  return out;
}

// With the fault gone, --resume completes the output and --verify reads it back whole; no
// partial file is left.
void expect_resume_completes(const std::string& write, const std::string& read) {
  faultfs().set({});
  const auto resumed = run_shell(write + " --keep-partial --resume");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto checked = run_shell(read + " --verify");
  EXPECT_EQ(checked.exit_code, 0) << checked.err << checked.out;
  EXPECT_TRUE(partials_in_back().empty()) << "left: " << partials_in_back().front();
}

class KeepPartial : public ::testing::TestWithParam<std::tuple<KeepCase, KeepFault>> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(faultfs().problem.empty()) << faultfs().problem;
    faultfs().reset();
  }
  void TearDown() override { faultfs().reset(); }
};

TEST_P(KeepPartial, AFailedWriteKeepsEveryPartialItNamesAndResumeCompletesIt) {
  const auto& [c, fault] = GetParam();
  const std::string target = faultfs().mnt + "/" + c.target;
  const std::string write = c.launcher + kBinary + " --output " + target + c.layout;
  faultfs().set({fault.rule});
  const auto r = run_shell(write + " --keep-partial");
  ASSERT_EQ(r.exit_code, fault.exit_code) << r.err;
  ASSERT_NE(faultfs().log().find("fault="), std::string::npos) << "the fault never fired";
  // What the message names is there, with what was written; and every partial file there is
  // named.
  const std::vector<std::string> named = partials_named(r.err);
  EXPECT_FALSE(named.empty()) << r.err;
  std::uintmax_t kept = 0;  // a dataset file the error cut at its first byte holds nothing
  for (const std::string& f : named) {
    EXPECT_TRUE(fs::exists(f)) << f << " is named but not there:\n" << r.err;
    if (fs::exists(f)) kept += fs::file_size(f);
  }
  EXPECT_GT(kept, 0u) << "what was written before the error is kept";
  EXPECT_EQ(partials_in_back(), named) << r.err;
  // Only a file that holds nothing goes: with 2 ranks the fault (1.25 MiB written on the file
  // system) can come before rank 1 wrote its first byte, and the message says so.
  std::string said = r.err;
  static const std::regex nothing("; rank [0-9]+ wrote nothing: its temporary file was removed");
  said = std::regex_replace(said, nothing, "");
  EXPECT_EQ(said.find("was removed"), std::string::npos) << r.err;
  expect_resume_completes(write, c.launcher + kBinary + " --input " + target + c.layout);
}

INSTANTIATE_TEST_SUITE_P(Faults, KeepPartial,
                         ::testing::Combine(::testing::ValuesIn(kKeepCases),
                                            ::testing::ValuesIn(kKeepFaults)),
                         [](const auto& info) {
                           return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
                         });

// A write ended by --timeout (a call that never returns, on one rank) dies where it stands: the
// message says what that leaves (the temporary file, named), it is there, and --resume
// completes it.
TEST_F(Faults, AWriteEndedByTheTimeoutSaysWhatItLeavesAndResumeCompletesIt) {
  const std::pair<KeepCase, std::string> cases[] = {
      {kKeepCases[0], "op=write,fault=hang,after=1280K"},
      {kKeepCases[5], "path=/f.00000001*,op=write,fault=hang,after=1M"},
      {kKeepCases[7], "path=/ds/d0/f5*,op=write,fault=hang"},
  };
  for (const auto& [c, rule] : cases) {
    SCOPED_TRACE(c.name);
    faultfs().reset();
    const std::string target = faultfs().mnt + "/" + c.target;
    const std::string write = c.launcher + kBinary + " --output " + target + c.layout;
    faultfs().set({rule + kHangCap});
    const auto r = run_shell("timeout 60 " + write + " --keep-partial --timeout 2");
    faultfs().set({});
    EXPECT_EQ(r.exit_code, 124) << r.err;
    EXPECT_NE(r.err.find("stays"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
    for (const std::string& f : partials_named(r.err))
      EXPECT_TRUE(fs::exists(f)) << f << " is named but not there:\n" << r.err;
    EXPECT_FALSE(partials_named(r.err).empty()) << r.err;
    expect_resume_completes(write, c.launcher + kBinary + " --input " + target + c.layout);
  }
}

// The pid of rank `rank` of the job whose processes carry DGEN_TEST_MARK=`mark`, 0 if none.
pid_t rank_pid(const std::string& mark, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string env = read_file(e.path().string() + "/environ");
    std::replace(env.begin(), env.end(), '\0', '\n');
    env = "\n" + env;
    if (env.find("\nDGEN_TEST_MARK=" + mark + "\n") != std::string::npos &&
        env.find("\nOMPI_COMM_WORLD_RANK=" + std::to_string(rank) + "\n") != std::string::npos &&
        read_file(e.path().string() + "/comm").rfind("dgen_mpi", 0) == 0)
      return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

// kill -9 of one rank in the middle of a write (made slow so that it is in the middle), then
// --resume: the result is the stream byte for byte, and the report says how much of the
// earlier run's work was kept.
TEST_F(Faults, ResumeAfterKillNineOfARankRestoresTheStream) {
  struct Case {
    std::string name, layout, target, slow;
    std::uint64_t bytes;
  } cases[] = {
      {"file-per-rank", " --size 64MiB --file-per-rank", "f", "ms=20", 128 * kMiB},
      {"dataset", " --files 2000 --file-size 16KiB --files-per-dir 100", "ds", "ms=2",
       2000 * 16 * 1024},
      {"mpiio shared file", " --size 32MiB --io mpiio", "shared", "ms=40", 64 * kMiB},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    faultfs().reset();
    const std::string mark = "resume-" + std::to_string(getpid()) + "-" + c.target;
    const std::string target = faultfs().mnt + "/" + c.target;
    const std::string write = kMpirun2 + kBinary + " --output " + target + c.layout +
                              " --threads 2 --fsync off --progress";
    faultfs().set({"op=write,fault=slow," + c.slow});
    {
      dgen::test::Background run("env DGEN_TEST_MARK=" + mark + " " + write + " --keep-partial");
      ASSERT_TRUE(run.wait_for([&] {
        return dgen::test::progress_bytes(run.err()) > 0.2 * static_cast<double>(c.bytes);
      })) << run.err();
      const pid_t victim = rank_pid(mark, 1);
      ASSERT_GT(victim, 0);
      kill(victim, SIGKILL);
      const auto r = run.wait();
      EXPECT_NE(r.exit_code, 0) << r.err;
    }
    faultfs().set({});
    const auto r = run_shell(write + " --resume --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_GT(j["resume"]["reused_bytes"].get<std::uint64_t>(), 0u) << j["resume"];
    EXPECT_EQ(j["resume"]["reused_bytes"].get<std::uint64_t>() +
                  j["resume"]["written_bytes"].get<std::uint64_t>(),
              c.bytes)
        << j["resume"];
    // Byte for byte: the files in name order are the stream, and no partial file is left.
    std::vector<std::string> files = files_in_back();
    std::string all;
    for (const auto& f : files) {
      EXPECT_EQ(f.find("dgen-partial"), std::string::npos) << f << " left";
      all += read_file(faultfs().back + "/" + f);
    }
    EXPECT_EQ(all.size(), c.bytes);
    EXPECT_TRUE(all == stream(0, c.bytes)) << "the resumed output is not the stream";
  }
}

// A stop that comes after the create phase has written every file (here to rank 0 while rank
// 1 writes its last file, made slow): the create phase is done, so its row stays in the phases
// table, and the message says the dataset is whole, not that a file being written was removed.
TEST_F(Faults, AStopAfterTheCreatePhaseKeepsItsRowAndSaysTheDatasetIsWhole) {
  const std::string mark = "phases-" + std::to_string(getpid());
  const std::string ds = faultfs().mnt + "/ds";
  faultfs().set({"path=/ds/d0/f7*,op=write,fault=slow,ms=1500"});
  dgen::test::Background run("env DGEN_TEST_MARK=" + mark + " " + kMpirun2 + kBinary +
                             " --output " + ds +
                             " --files 8 --file-size 64KiB --files-per-dir 10 --threads 1 "
                             "--phases create,stat,read,delete --format json");
  // Every other file stands at its name, and f7 is being written.
  ASSERT_TRUE(run.wait_for([&] {
    for (int k = 0; k < 7; ++k)
      if (!fs::exists(faultfs().back + "/ds/d0/f" + std::to_string(k))) return false;
    return faultfs().log().find("op=write path=/ds/d0/f7") != std::string::npos;
  })) << run.err();
  const pid_t rank0 = rank_pid(mark, 0);
  ASSERT_GT(rank0, 0);
  kill(rank0, SIGTERM);
  const auto r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j["phases"].size(), 1u) << r.out;
  EXPECT_EQ(j["phases"][0]["name"], "create");
  EXPECT_EQ(j["phases"][0]["files"], 8);
  const std::string text = j["output_state"]["text"];
  EXPECT_NE(text.find(ds + " holds all 8 files"), std::string::npos) << text;
  EXPECT_EQ(text.find("removed"), std::string::npos) << text;
  EXPECT_EQ(r.err.find("removed"), std::string::npos) << r.err;
  for (std::uint64_t k = 0; k < 8; ++k) {
    const std::string f = faultfs().back + "/ds/d0/f" + std::to_string(k);
    EXPECT_TRUE(read_file(f) == stream(k * 65536, 65536)) << f;
  }
}

// A stop signal that cuts a read short (the FUSE daemon answers the interrupted read with
// EINTR) ends the run as a stop, with its report, not as a read error: plain reading and the
// checked read (whose next read is made by a worker thread).
TEST_F(Faults, AStopDuringASlowReadIsAStopNotAnError) {
  const std::string file = faultfs().mnt + "/slow-read.bin";
  ASSERT_EQ(run_shell(kBinary + " --size 32MiB --fsync off --output " + file).exit_code, 0);
  faultfs().set({"op=read,fault=slow,ms=300"});
  for (const std::string extra : {"", " --verify"}) {
    SCOPED_TRACE(extra);
    const std::size_t logged = faultfs().log().size();
    dgen::test::Background run(kBinary + " --size 32MiB --threads 1 --format json --input " + file +
                               extra);
    // The daemon has a read of the file: its log names it.
    ASSERT_TRUE(run.wait_for([&] {
      return faultfs().log().find("op=read path=/slow-read.bin", logged) != std::string::npos;
    })) << run.err();
    run.signal(SIGTERM);
    const auto r = run.wait();
    EXPECT_EQ(r.exit_code, 143) << r.err;
    EXPECT_EQ(r.err.find("Interrupted system call"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("interrupted by signal 15"), std::string::npos) << r.err;
  }
}

// The read-back of --output --verify stopped (reads slowed, so the stop comes during it): the
// output is complete and committed, and the message says the read-back was cut short.
TEST_F(Faults, AStopDuringTheReadBackKeepsTheOutput) {
  faultfs().set({"op=read,fault=slow,ms=20"});
  const std::string out = faultfs().mnt + "/checked.bin";
  dgen::test::Background run(kBinary + " --size 64MiB --threads 1 --fsync off --verify " +
                             "--progress --output " + out);
  ASSERT_TRUE(run.wait_for_stderr("verify [0-9.]+ [KMG]iB / ")) << run.err();
  run.signal(SIGTERM);
  const auto r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_EQ(dgen::test::size_of(faultfs().back + "/checked.bin"), 64u << 20);
  EXPECT_TRUE(read_file(faultfs().back + "/checked.bin") == stream(0, 64 << 20));
  EXPECT_NE(r.err.find(out + " holds the whole stream"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the stop came during its read-back"), std::string::npos) << r.err;
}

}  // namespace
