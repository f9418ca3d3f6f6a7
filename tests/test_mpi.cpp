// dgen_mpi under mpirun on this machine: 1, 2 and 4 ranks, with and without NUMA mapping;
// the JSON report checked field by field; the bytes of a multi-rank file; a failing rank.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "dgen/generator.hpp"
#include "run_process.hpp"

namespace {

using dgen::test::run_shell;

const std::string kBinary = DGEN_MPI_BINARY;
// Every wait is bounded: a rank that hangs fails the test instead of the suite.
const std::string kMpirun = "timeout 120 mpirun --oversubscribe ";

nlohmann::json run_json(const std::string& launcher, const std::string& args) {
  const auto r = run_shell(launcher + kBinary + " " + args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << launcher << args << "\n" << r.err;
  if (r.exit_code != 0) return {};
  return nlohmann::json::parse(r.out);
}

void check_report(const nlohmann::json& j, int ranks, std::uint64_t size) {
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["ranks"], ranks);
  EXPECT_EQ(j["nodes"], 1);
  EXPECT_EQ(j["bytes"], size * ranks);
  ASSERT_EQ(j["per_rank"].size(), static_cast<std::size_t>(ranks));
  std::set<int> seen;
  for (int r = 0; r < ranks; ++r) {
    const auto& k = j["per_rank"][r];
    EXPECT_EQ(k["rank"], r);
    EXPECT_EQ(k["local_rank"], r);  // one node
    seen.insert(k["rank"].get<int>());
    EXPECT_GT(k["gbps"].get<double>(), 0);
    EXPECT_GT(k["baseline_gbps"].get<double>(), 0);
    EXPECT_GE(k["local_fraction"].get<double>(), 0.99) << k;
    EXPECT_GE(k["threads"].get<int>(), 1);
    EXPECT_EQ(k["cpus"].size(), k["threads"].get<std::size_t>());
    const std::string binding = k["binding"];
    EXPECT_TRUE(binding == "launcher" || binding == "self") << binding;
    EXPECT_EQ(k["numa_node"], 0);
    EXPECT_EQ(k["memory_nodes"], nlohmann::json::array({0}));
    EXPECT_FALSE(k["host"].get<std::string>().empty());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(ranks));
  // Aggregate = total bytes / the job's span (the slowest rank from the common barrier).
  for (const auto& it : j["iterations"]) {
    EXPECT_NEAR(it["aggregate_gbps"].get<double>(),
                static_cast<double>(size) * ranks / it["seconds"].get<double>() / 1e9, 1e-6);
    EXPECT_LE(it["rank_min_gbps"].get<double>(), it["rank_max_gbps"].get<double>());
  }
}

TEST(Mpi, PlainProcessIsASingletonJob) {
  check_report(run_json("", "--size 32MiB --iterations 2"), 1, 32 << 20);
}

TEST(Mpi, OneTwoAndFourRanksPlainMpirun) {
  for (int n : {1, 2, 4}) {
    const auto j =
        run_json(kMpirun + "-n " + std::to_string(n) + " ", "--size 32MiB --iterations 2");
    check_report(j, n, 32 << 20);
    if (n <= 2) {  // this machine has 2 cores: up to 2 ranks each gets its own
      std::set<int> cpus;
      for (const auto& k : j["per_rank"]) cpus.insert(k["cpus"][0].get<int>());
      EXPECT_EQ(cpus.size(), static_cast<std::size_t>(n));
      EXPECT_FALSE(j["oversubscribed"].get<bool>());
    } else {
      EXPECT_TRUE(j["oversubscribed"].get<bool>());
    }
  }
}

TEST(Mpi, OneTwoAndFourRanksMappedByNuma) {
  for (int n : {1, 2, 4}) {
    // More ranks than cores need the overload qualifier.
    const std::string bind = n > 2 ? "numa:overload-allowed" : "numa";
    check_report(
        run_json(kMpirun + "--map-by numa --bind-to " + bind + " -n " + std::to_string(n) + " ",
                 "--size 32MiB --iterations 2"),
        n, 32 << 20);
  }
}

TEST(Mpi, CsvHasOneRowPerRankPerIteration) {
  const auto r =
      run_shell(kMpirun + "-n 2 " + kBinary + " --size 8MiB --iterations 3 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int rows = 0;
  for (char c : r.out) rows += c == '\n';
  EXPECT_EQ(rows, 1 + 2 * 3) << r.out;
}

TEST(Mpi, FileWrittenByFourRanksIsOneStreamOfFourTimesTheSize) {
  const std::string path = dgen::test::temp_dir() + "/four-ranks.bin";
  const std::uint64_t size = (3ULL << 20) + 4097;  // rank boundaries inside units
  const auto r =
      run_shell(kMpirun + "-n 4 " + kBinary + " --size " + std::to_string(size) +
                " --dedup-ratio 3 --compress-ratio 2 --output " + path + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["bytes"], 4 * size);
  dgen::DataSpec spec;
  spec.dedup_ratio = 3;
  spec.compress_ratio = 2;
  std::vector<std::byte> expect(4 * size);
  dgen::Generator(spec).generate(0, expect);
  const std::string got = dgen::test::read_file(path);
  ASSERT_EQ(got.size(), expect.size());
  EXPECT_EQ(0, std::memcmp(got.data(), expect.data(), expect.size()));
}

TEST(Mpi, StdoutIsRefusedWithSeveralRanks) {
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --size 1MiB --output -");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--output -: a stream (stdout or a pipe) takes one rank's bytes in order"),
            std::string::npos)
      << r.err;
}

// One rank fails (MPMD: only rank 1 has a bad option); the whole job stops with one message
// naming that rank and its host, and nobody hangs in a collective.
TEST(Mpi, OneFailingRankStopsTheJobWithItsReason) {
  const auto r = run_shell(kMpirun + "-n 1 " + kBinary + " --size 8MiB : -n 1 " + kBinary +
                           " --size 8MiB --dedup-ratio 0.5");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("dgen_mpi: rank 1 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--dedup-ratio 0.5: must be a number from 1 to 100"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("dgen_mpi: rank 0 ("), std::string::npos) << "only the failing rank speaks\n"
                                                                 << r.err;
}

// The node's ranks together must fit its memory: refused before anything is allocated.
TEST(Mpi, NodeMemoryIsCheckedForAllItsRanks) {
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --size 4EiB");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("2 ranks on this node need 8 EiB in all, but"), std::string::npos) << r.err;
}

TEST(Mpi, BadOptionsArePrintedOnceNotPerRank) {
  const auto r = run_shell(kMpirun + "-n 3 " + kBinary + " --dedup-ratio 0.5");
  EXPECT_NE(r.exit_code, 0);
  std::size_t count = 0;
  for (std::size_t p = 0; (p = r.err.find("--dedup-ratio 0.5: must be", p)) != std::string::npos;
       ++p)
    ++count;
  EXPECT_EQ(count, 1u) << r.err;
}

}  // namespace
