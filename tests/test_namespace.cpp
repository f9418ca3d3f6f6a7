// The POSIX namespace (io/namespace.hpp) that the posix, uring and mpiio engines keep their
// files under: what stat tells of each kind of object, that mkdir says whether this call made
// the directory, that rename publishes whole, and that every error names the path and the OS
// error. Run on a real directory under the build's temporary directory. And that an output's
// life (storage/output.hpp) goes through the namespace it is given: create, publish, discard.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "io/backend.hpp"
#include "io/namespace.hpp"
#include "storage/output.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::io::Entry;
using dgen::io::IoError;

class PosixNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "dgen-ns-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  std::string at(const std::string& name) const { return dir_ + "/" + name; }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  const dgen::io::Namespace& ns = dgen::io::posix_namespace();
  std::string dir_;
};

TEST_F(PosixNamespace, StatTellsEachKind) {
  write(at("file"), "12345");
  ASSERT_EQ(mkfifo(at("fifo").c_str(), 0600), 0) << std::strerror(errno);
  ASSERT_EQ(symlink("file", at("link").c_str()), 0);
  ASSERT_EQ(symlink("nowhere", at("dangling").c_str()), 0);

  const Entry file = ns.stat(at("file"));
  EXPECT_EQ(file.kind, Entry::Kind::kRegular);
  EXPECT_EQ(file.size, 5u);
  EXPECT_TRUE(file.exists());
  EXPECT_EQ(ns.stat(dir_).kind, Entry::Kind::kDirectory);
  EXPECT_EQ(ns.stat(at("fifo")).kind, Entry::Kind::kFifo);
  EXPECT_EQ(ns.stat("/dev/null").kind, Entry::Kind::kCharDevice);
  // stat follows a link, lstat names the link itself.
  EXPECT_EQ(ns.stat(at("link")).kind, Entry::Kind::kRegular);
  EXPECT_EQ(ns.stat(at("link")).inode, file.inode);
  EXPECT_EQ(ns.lstat(at("link")).kind, Entry::Kind::kSymlink);
  EXPECT_EQ(ns.stat(at("dangling")).kind, Entry::Kind::kMissing);
  EXPECT_EQ(ns.lstat(at("dangling")).kind, Entry::Kind::kSymlink);
}

TEST_F(PosixNamespace, StatOfASocketAndOfNothing) {
  const int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = at("sock");
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  EXPECT_EQ(ns.stat(path).kind, Entry::Kind::kSocket);
  close(s);

  const Entry none = ns.stat(at("none"));
  EXPECT_FALSE(none.exists());
  EXPECT_EQ(none.error, ENOENT);
  // A path through a regular file: nothing is there, and the entry says why.
  write(at("plain"), "x");
  const Entry through = ns.stat(at("plain/below"));
  EXPECT_EQ(through.kind, Entry::Kind::kMissing);
  EXPECT_EQ(through.error, ENOTDIR);
}

TEST_F(PosixNamespace, MkdirSaysWhetherThisCallMadeIt) {
  EXPECT_TRUE(ns.mkdir(at("d")));
  EXPECT_EQ(ns.stat(at("d")).kind, Entry::Kind::kDirectory);
  EXPECT_FALSE(ns.mkdir(at("d")));  // there already: not this call's to remove
  ns.rmdir(at("d"));
  EXPECT_FALSE(ns.stat(at("d")).exists());
  try {
    ns.mkdir(at("missing/d"));
    FAIL() << "mkdir under a missing directory succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.error(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(at("missing/d")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::strerror(ENOENT)), std::string::npos) << e.what();
  }
}

TEST_F(PosixNamespace, RmdirRefusesADirectoryThatHoldsFiles) {
  ASSERT_TRUE(ns.mkdir(at("d")));
  write(at("d/f"), "x");
  try {
    ns.rmdir(at("d"));
    FAIL() << "rmdir removed a directory with a file in it";
  } catch (const IoError& e) {
    EXPECT_EQ(e.error(), ENOTEMPTY);
    EXPECT_NE(std::string(e.what()).find(at("d")), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(at("d/f")), "x");
}

TEST_F(PosixNamespace, RenamePublishesTheWholeFileOverTheOldOne) {
  write(at("target"), "old bytes");
  write(at("temp"), "new");
  const Entry temp = ns.stat(at("temp"));
  ns.rename(at("temp"), at("target"));
  EXPECT_EQ(read(at("target")), "new");
  EXPECT_EQ(ns.stat(at("target")).inode, temp.inode);  // the very file, not a copy
  EXPECT_FALSE(ns.stat(at("temp")).exists());
  ns.sync_dir(dir_);
  try {
    ns.rename(at("temp"), at("target"));
    FAIL() << "rename of a missing file succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.error(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(at("temp")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(at("target")), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(at("target")), "new");
}

TEST_F(PosixNamespace, CreateExclusiveNeverOpensWhatIsThere) {
  EXPECT_TRUE(ns.create(at("f"), true));
  EXPECT_EQ(ns.stat(at("f")).size, 0u);
  write(at("f"), "kept");
  EXPECT_FALSE(ns.create(at("f"), true));
  EXPECT_FALSE(ns.create(at("f"), false));  // opened, not cut
  EXPECT_EQ(read(at("f")), "kept");
  EXPECT_TRUE(ns.create(at("g"), false));
  ns.truncate(at("f"), 2);
  EXPECT_EQ(read(at("f")), "ke");
  ns.sync_file(at("f"));
  ns.remove(at("f"));
  EXPECT_FALSE(ns.stat(at("f")).exists());
  try {
    ns.remove(at("f"));
    FAIL() << "remove of a missing file succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.error(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(at("f")), std::string::npos) << e.what();
  }
}

TEST_F(PosixNamespace, RemoveTakesTheLinkNotTheFileItNames) {
  write(at("file"), "data");
  ASSERT_EQ(symlink("file", at("link").c_str()), 0);
  ns.remove(at("link"));
  EXPECT_EQ(ns.lstat(at("link")).kind, Entry::Kind::kMissing);
  EXPECT_EQ(read(at("file")), "data");
}

TEST_F(PosixNamespace, ListGivesTheNamesSorted) {
  write(at("b"), "");
  write(at("a"), "");
  ASSERT_TRUE(ns.mkdir(at("c")));
  EXPECT_EQ(ns.list(dir_), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(ns.list(at("c")).empty());
  EXPECT_THROW(ns.list(at("a")), IoError);  // a file has no names
}

TEST_F(PosixNamespace, SpaceIsThatOfTheFileSystem) {
  const dgen::io::Space s = ns.space(dir_);
  struct statvfs v {};
  ASSERT_EQ(statvfs(dir_.c_str(), &v), 0);
  EXPECT_EQ(s.capacity, static_cast<std::uint64_t>(v.f_blocks) * v.f_frsize);
  EXPECT_LE(s.available, s.capacity);
  EXPECT_LE(ns.free_space(dir_), s.capacity);
  try {
    ns.space(at("none"));
    FAIL() << "statvfs of a missing directory succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.error(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(at("none")), std::string::npos) << e.what();
  }
}

TEST(BackendTable, EveryRowKeepsItsFilesUnderANamespace) {
  for (const dgen::io::BackendRow& row : dgen::io::backends()) {
    ASSERT_NE(row.names, nullptr) << row.traits.name;
    EXPECT_EQ(&row.names(), &dgen::io::posix_namespace()) << row.traits.name;
  }
  // Only the engine whose writes are plain write(2) calls takes a stream.
  int streams = 0;
  for (const dgen::io::BackendRow& row : dgen::io::backends()) streams += row.traits.streams;
  EXPECT_EQ(streams, 1);
}

// The POSIX namespace, with every call on a name written down: what an output does to names.
class Recording final : public dgen::io::Namespace {
 public:
  mutable std::vector<std::string> calls;
  const dgen::io::Namespace& posix = dgen::io::posix_namespace();

  Entry stat(const std::string& p) const override {
    note("stat " + p);
    return posix.stat(p);
  }
  Entry lstat(const std::string& p) const override {
    note("lstat " + p);
    return posix.lstat(p);
  }
  bool create(const std::string& p, bool exclusive) const override {
    note("create " + p);
    return posix.create(p, exclusive);
  }
  void remove(const std::string& p) const override {
    note("remove " + p);
    posix.remove(p);
  }
  void rename(const std::string& from, const std::string& to) const override {
    note("rename " + from + " " + to);
    posix.rename(from, to);
  }
  bool mkdir(const std::string& p, std::uint32_t mode) const override {
    note("mkdir " + p);
    return posix.mkdir(p, mode);
  }
  void rmdir(const std::string& p) const override {
    note("rmdir " + p);
    posix.rmdir(p);
  }
  std::vector<std::string> list(const std::string& d) const override {
    note("list " + d);
    return posix.list(d);
  }
  dgen::io::Space space(const std::string& d) const override {
    note("space " + d);
    return posix.space(d);
  }
  void truncate(const std::string& p, std::uint64_t n) const override {
    note("truncate " + p + " " + std::to_string(n));
    posix.truncate(p, n);
  }
  void sync_file(const std::string& p) const override {
    note("sync_file " + p);
    posix.sync_file(p);
  }
  void sync_dir(const std::string& d) const override {
    note("sync_dir " + d);
    posix.sync_dir(d);
  }
  bool access(const std::string& p, int how) const override {
    note("access " + p);
    return posix.access(p, how);
  }

 private:
  void note(const std::string& call) const { calls.push_back(call); }
};

TEST_F(PosixNamespace, AnOutputIsMadeAndPublishedThroughItsEnginesNamespace) {
  Recording names;
  const std::string path = at("out");
  dgen::storage::Output out(path, dgen::storage::OutputRules{}, true, names);
  const dgen::storage::TargetCheck found = out.inspect(3, nullptr);
  ASSERT_EQ(found.refused, "");
  EXPECT_EQ(found.kind, dgen::storage::OutputKind::kFile);
  EXPECT_FALSE(found.existed);
  out.set_existed(false);
  out.set_kind(found.kind);
  EXPECT_EQ(out.space_problem(3), "");
  int code = 0;
  ASSERT_EQ(out.create(code), "");
  const std::string temp = out.temporary();
  ASSERT_EQ(temp.rfind(path + ".dgen-partial-", 0), 0u) << temp;
  EXPECT_EQ(out.name(), temp);
  write(temp, "abcdef");
  ASSERT_EQ(out.publish(3), "");
  out.mark_published(3);
  EXPECT_EQ(read(path), "abcdef");  // renamed whole: publishing a temporary file cuts nothing
  EXPECT_FALSE(ns.stat(temp).exists());
  EXPECT_EQ(out.state().state, "complete");
  const std::vector<std::string> made = {"space " + dir_, "create " + temp,
                                         "rename " + temp + " " + path, "sync_dir " + dir_};
  std::vector<std::string> seen;
  for (const std::string& c : names.calls)
    if (c.rfind("stat ", 0) != 0) seen.push_back(c);  // stats of reused blocks: none here
  EXPECT_EQ(seen, made);
}

TEST_F(PosixNamespace, ADiscardedOutputRemovesOnlyItsTemporaryFile) {
  Recording names;
  const std::string path = at("kept");
  write(path, "the user's bytes");
  dgen::storage::OutputRules rules;
  rules.overwrite = true;
  dgen::storage::Output out(path, rules, true, names);
  const dgen::storage::TargetCheck found = out.inspect(3, nullptr);
  ASSERT_EQ(found.refused, "");
  EXPECT_TRUE(found.existed);
  out.set_existed(true);
  out.set_kind(found.kind);
  int code = 0;
  ASSERT_EQ(out.create(code), "");
  const std::string temp = out.temporary();
  ASSERT_TRUE(ns.stat(temp).exists());
  out.discard();
  EXPECT_EQ(names.calls.back(), "remove " + temp);
  EXPECT_FALSE(ns.stat(temp).exists());
  EXPECT_EQ(read(path), "the user's bytes");
  EXPECT_EQ(out.state().state, "untouched");
}

}  // namespace
