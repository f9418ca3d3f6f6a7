// --io hdf5 against an independent reader: h5py (tests/hdf5_read.py, Debian's python3-h5py)
// reads the dataset of every file dgen_mpi wrote, for 1, 2 and 3 ranks and each layout (shared
// file, file per rank, dataset of files), and its bytes are those `dgen_mpi --output -` gives for
// the same data options; a byte changed inside a dataset with h5py is named by --verify at its
// stream offset; --hdf5-dataset and --hdf5-chunk reach the file; the metadata phases run over
// HDF5 files; what a container cannot do (--resume) is refused in one line. Skipped where the
// engine is not built (no parallel HDF5) or h5py is missing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::read_file;
using dgen::test::run_shell;

const std::string kBinary = dgen::test::binary_under_test(DGEN_MPI_BINARY);
const std::string kMpirun = "timeout 120 mpirun --oversubscribe ";
const std::string kReader = "/usr/bin/python3 " DGEN_HDF5_READER;
const std::string kData = " --seed 91 --dedup-ratio 2 --compress-ratio 3 ";

// Sizes that are not multiples of the transfer or of the 4 KiB thread granule.
const std::uint64_t kPerRank = (1ULL << 20) + 4097;
const std::uint64_t kFiles = 7, kFileSize = 300001;

class Hdf5 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DGEN_HDF5_BUILT) GTEST_SKIP() << "--io hdf5 is not built (no parallel HDF5 found)";
    if (run_shell("/usr/bin/python3 -c 'import h5py'").exit_code != 0)
      GTEST_SKIP() << "h5py is missing (Debian: python3-h5py)";
  }

  // The stream's first n bytes as `dgen_mpi --output -` writes them with kData.
  static std::string reference(std::uint64_t n) {
    static std::map<std::uint64_t, std::string> known;
    auto it = known.find(n);
    if (it == known.end()) {
      const auto r = run_shell(kBinary + " --output - --size " + std::to_string(n) + kData);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      it = known.emplace(n, r.out).first;
    }
    return it->second;
  }

  // What h5py reads from `files` (in that order): their datasets concatenated, and per file
  // its description (name, dtype, shape, chunks).
  struct Read {
    std::string bytes;
    std::vector<nlohmann::json> files;
  };
  Read h5py_read(const std::vector<std::string>& files, const std::string& dataset = "/data") {
    const std::string out = dir_.dir + "/h5py.out";
    std::string cmd = kReader + " read " + dataset + " " + out;
    for (const auto& f : files) cmd += " " + f;
    const auto r = run_shell(cmd);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Read got;
    got.bytes = read_file(out);
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      got.files.push_back(nlohmann::json::parse(line));
    fs::remove(out);
    return got;
  }

  // Every regular file under `path` (or `path` itself), in name order: the stream's order.
  static std::vector<std::string> files_of(const std::string& path) {
    std::vector<std::string> out;
    if (fs::is_regular_file(path)) return {path};
    const fs::path p(path);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) out.push_back(e.path().string());
    } else {
      for (const auto& e : fs::directory_iterator(p.parent_path()))
        if (e.path().filename().string().rfind(p.filename().string() + ".", 0) == 0)
          out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static nlohmann::json parse(const dgen::test::ProcessResult& r) {
    try {
      return nlohmann::json::parse(r.out);
    } catch (const std::exception&) {
      ADD_FAILURE() << "not JSON:\n" << r.out << r.err;
      return {};
    }
  }

  static std::string mpirun(int ranks) { return kMpirun + "-n " + std::to_string(ranks) + " "; }

  dgen::test::ScratchDir dir_{"hdf5"};
};

struct Layout {
  const char* name;
  std::string args;  // after --output/--input PATH
  const char* target;
  std::uint64_t bytes;  // the stream's length
  std::uint64_t files;
};

std::vector<Layout> layouts(int ranks) {
  const auto r = static_cast<std::uint64_t>(ranks);
  return {
      {"shared-file", " --size " + std::to_string(kPerRank), "shared.h5", kPerRank * r, 1},
      {"file-per-rank", " --size " + std::to_string(kPerRank) + " --file-per-rank", "rank.h5",
       kPerRank * r, r},
      {"dataset",
       " --files " + std::to_string(kFiles) + " --file-size " + std::to_string(kFileSize) +
           " --files-per-dir 3",
       "dataset", kFiles * kFileSize, kFiles},
  };
}

TEST_F(Hdf5, EveryLayoutAndRankCountHoldsTheStreamThatH5pyReads) {
  for (int ranks : {1, 2, 3}) {
    for (const Layout& l : layouts(ranks)) {
      SCOPED_TRACE(std::to_string(ranks) + " ranks, " + l.name);
      const std::string target = dir_.dir + "/" + l.target;
      const std::string common = kData + l.args + " --io hdf5 --transfer 200000 --threads 2 ";
      const auto w =
          run_shell(mpirun(ranks) + kBinary + " --output " + target + common + "--format json");
      ASSERT_EQ(w.exit_code, 0) << w.err;
      const auto j = parse(w);
      EXPECT_EQ(j["bytes"], l.bytes);
      EXPECT_EQ(j["storage"]["io"], "hdf5");
      const std::string component = j["provenance"]["io_component"];
      EXPECT_EQ(component.rfind("HDF5 ", 0), 0u) << component;

      const std::vector<std::string> files = files_of(target);
      ASSERT_EQ(files.size(), l.files);
      const Read got = h5py_read(files);
      ASSERT_EQ(got.bytes.size(), l.bytes);
      EXPECT_TRUE(got.bytes == reference(l.bytes)) << "h5py reads other bytes than --output -";
      for (const auto& f : got.files) {
        EXPECT_EQ(f["name"], "/data");
        EXPECT_EQ(f["dtype"], "uint8");
        EXPECT_TRUE(f["chunks"].is_null()) << "contiguous by default, as IOR";
      }

      // The engine reads its files back, and --verify finds them intact.
      const auto r = run_shell(mpirun(ranks) + kBinary + " --input " + target + common +
                               "--verify --format json");
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const auto v = parse(r)["verify"];
      EXPECT_EQ(v["bytes"], l.bytes);
      EXPECT_EQ(v["mismatched_bytes"], 0);
      fs::remove_all(target);
      for (const auto& f : files) fs::remove(f);
    }
  }
}

TEST_F(Hdf5, IndependentAndCollectiveTransfersHoldTheSameBytes) {
  for (const char* collective : {"on", "off"}) {
    SCOPED_TRACE(collective);
    const std::string target = dir_.dir + "/shared.h5";
    const auto w = run_shell(mpirun(3) + kBinary + " --output " + target + kData + " --size " +
                             std::to_string(kPerRank) + " --io hdf5 --collective " + collective +
                             " --transfer 300000 --threads 2 --format json");
    ASSERT_EQ(w.exit_code, 0) << w.err;
    const std::string component = parse(w)["provenance"]["io_component"];
    EXPECT_NE(component.find(std::string(collective) == "on" ? "collective" : "independent"),
              std::string::npos)
        << component;
    EXPECT_TRUE(h5py_read({target}).bytes == reference(3 * kPerRank));
    fs::remove(target);
  }
}

// A byte flipped inside the dataset (with h5py, so the HDF5 file stays valid) is named at its
// stream offset: in a shared file its dataset offset, in a dataset of files the file's start in
// the stream plus its offset in the file.
TEST_F(Hdf5, VerifyNamesAByteChangedInTheDatasetAtItsStreamOffset) {
  {
    const std::string target = dir_.dir + "/shared.h5";
    const std::string args = kData + " --size " + std::to_string(kPerRank) + " --io hdf5 ";
    ASSERT_EQ(run_shell(mpirun(2) + kBinary + " --output " + target + args).exit_code, 0);
    const std::uint64_t at = kPerRank + 12345;  // in rank 1's part
    ASSERT_EQ(run_shell(kReader + " poke /data " + target + " " + std::to_string(at)).exit_code, 0);
    const auto r =
        run_shell(mpirun(2) + kBinary + " --input " + target + args + "--verify --format json");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto v = parse(r)["verify"];
    ASSERT_EQ(v["mismatches"].size(), 1u) << v;
    EXPECT_EQ(v["mismatches"][0]["offset"], at);
    EXPECT_EQ(v["mismatches"][0]["length"], 1);
    EXPECT_EQ(v["mismatches"][0]["file_offset"], at);
    EXPECT_EQ(v["mismatched_bytes"], 1);
  }
  {
    const std::string target = dir_.dir + "/dataset";
    const std::string args = kData + " --files " + std::to_string(kFiles) + " --file-size " +
                             std::to_string(kFileSize) + " --files-per-dir 3 --io hdf5 ";
    ASSERT_EQ(run_shell(mpirun(3) + kBinary + " --output " + target + args).exit_code, 0);
    const std::vector<std::string> files = files_of(target);
    ASSERT_EQ(files.size(), kFiles);
    const std::uint64_t file = 4, at = 2024;
    ASSERT_EQ(
        run_shell(kReader + " poke /data " + files[file] + " " + std::to_string(at)).exit_code, 0);
    const auto r =
        run_shell(mpirun(3) + kBinary + " --input " + target + args + "--verify --format json");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto v = parse(r)["verify"];
    ASSERT_EQ(v["mismatches"].size(), 1u) << v;
    EXPECT_EQ(v["mismatches"][0]["offset"], file * kFileSize + at);
    EXPECT_EQ(v["mismatches"][0]["file"], files[file]);
    EXPECT_EQ(v["mismatches"][0]["file_offset"], at);
  }
}

// A file's length is its dataset's, not the HDF5 file's (whose header and metadata add bytes):
// read with fewer ranks, the dataset's last rank's part is beyond the stream (--verify names
// exactly those bytes); read with more, the dataset is short of them.
TEST_F(Hdf5, AFilesLengthIsItsDatasets) {
  const std::string target = dir_.dir + "/three.h5";
  const std::string size = " --size " + std::to_string(kPerRank) + " --io hdf5 ";
  ASSERT_EQ(run_shell(mpirun(3) + kBinary + " --output " + target + kData + size).exit_code, 0);
  ASSERT_GT(fs::file_size(target), 3 * kPerRank) << "the HDF5 file is longer than its dataset";
  const auto longer = run_shell(mpirun(2) + kBinary + " --input " + target + kData + size +
                                "--verify --format json");
  EXPECT_EQ(longer.exit_code, 1) << longer.err;
  const auto v = parse(longer)["verify"];
  ASSERT_EQ(v["mismatches"].size(), 1u) << v;
  EXPECT_EQ(v["mismatches"][0]["holds"], "beyond the stream");
  EXPECT_EQ(v["mismatches"][0]["offset"], 2 * kPerRank);
  EXPECT_EQ(v["mismatches"][0]["length"], kPerRank);
  EXPECT_EQ(v["mismatched_bytes"], kPerRank);
  const auto shorter = run_shell(mpirun(4) + kBinary + " --input " + target + kData + size);
  EXPECT_EQ(shorter.exit_code, 2) << shorter.err;
  EXPECT_NE(shorter.err.find(std::to_string(4 * kPerRank) + " bytes expected"), std::string::npos)
      << shorter.err;
  EXPECT_NE(shorter.err.find(std::to_string(3 * kPerRank) + " found"), std::string::npos)
      << shorter.err;
}

TEST_F(Hdf5, DatasetNameAndChunkSizeReachTheFile) {
  const std::string target = dir_.dir + "/named.h5";
  const std::string args = kData + " --size " + std::to_string(kPerRank) +
                           " --io hdf5 --hdf5-dataset /run/stream --hdf5-chunk 64KiB ";
  const auto w = run_shell(mpirun(2) + kBinary + " --output " + target + args);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const Read got = h5py_read({target}, "/run/stream");
  ASSERT_EQ(got.files.size(), 1u);
  EXPECT_EQ(got.files[0]["name"], "/run/stream");
  EXPECT_EQ(got.files[0]["chunks"], nlohmann::json::array({65536}));
  EXPECT_EQ(got.files[0]["shape"], nlohmann::json::array({2 * kPerRank}));
  EXPECT_TRUE(got.bytes == reference(2 * kPerRank));
  // Read back under its name; under the default name there is no such dataset.
  const auto r = run_shell(mpirun(2) + kBinary + " --input " + target + args + "--verify");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto other = run_shell(mpirun(2) + kBinary + " --input " + target + kData + " --size " +
                               std::to_string(kPerRank) + " --io hdf5");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("/data"), std::string::npos) << other.err;
}

// mdtest's phases over HDF5 files: create, stat, read (compared), delete.
TEST_F(Hdf5, MetadataPhasesRunOverHdf5Files) {
  const std::string ds = dir_.dir + "/phases";
  const auto r = run_shell(mpirun(2) + kBinary + kData + " --files 40 --file-size 10000 " +
                           "--files-per-dir 16 --io hdf5 --phases create,stat,read --verify " +
                           "--format json --output " + ds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse(r);
  ASSERT_EQ(j["phases"].size(), 3u) << j["phases"];
  for (const auto& p : j["phases"]) EXPECT_EQ(p["files"], 40) << p;
  EXPECT_EQ(j["verify"]["bytes"], 400000);
  EXPECT_EQ(j["verify"]["mismatched_bytes"], 0);
  EXPECT_TRUE(h5py_read(files_of(ds)).bytes == reference(400000));
  const auto d = run_shell(mpirun(2) + kBinary + kData + " --files 40 --file-size 10000 " +
                           "--files-per-dir 16 --io hdf5 --overwrite --phases create,delete " +
                           "--format json --output " + ds);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(parse(d)["phases"][1]["files"], 40);
  EXPECT_TRUE(files_of(ds).empty()) << "the delete phase removed every file";
}

// A container each write makes whole has no partial file to continue, cut or write in place.
TEST_F(Hdf5, WhatNeedsAPartialFileIsRefusedInOneLine) {
  for (const char* option : {"--resume", "--in-place", "--keep-partial"}) {
    SCOPED_TRACE(option);
    const std::string target = dir_.dir + "/refused.h5";
    const auto r = run_shell(kBinary + " --output " + target + " --size 1MiB --io hdf5 " + option);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(std::string(option) + ": not with --io hdf5 (its files are HDF5 "
                                               "containers that each write makes whole)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(target));
  }
}

// The engine's own options are checked from its row, each in one line before anything runs.
TEST_F(Hdf5, ItsOptionsAreCheckedFromItsRow) {
  const std::string out = " --output " + dir_.dir + "/x.h5 --size 1MiB ";
  const struct {
    std::string args, message;
  } cases[] = {
      {"--io hdf5 --file-per-rank --collective on",
       "dgen_mpi: --collective on: is for the shared file (a rank's own files have no collective "
       "calls), not --file-per-rank\n"},
      {"--io hdf5 --hdf5-chunk 4GiB",
       "dgen_mpi: --hdf5-chunk 4GiB: is more than HDF5's largest chunk, 4 GiB - 1 bytes\n"},
      {"--io hdf5 --hdf5-dataset ''",
       "dgen_mpi: --hdf5-dataset : must name a dataset (/data, /group/name)\n"},
      {"--hdf5-chunk 1MiB", "dgen_mpi: --hdf5-chunk 1MiB: is only for --io hdf5\n"},
      {"--io hdf5 --direct",
       "dgen_mpi: --direct: not with --io hdf5 (HDF5 moves its bytes through MPI-IO, which "
       "offers no O_DIRECT here); use --io posix\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    const auto r = run_shell(kBinary + out + c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, c.message);
    EXPECT_FALSE(fs::exists(dir_.dir + "/x.h5"));
  }
}

}  // namespace
