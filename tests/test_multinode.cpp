// Scaling across nodes, for real: a multi-node SLURM cluster made of Linux namespaces on this
// machine (tests/slurm/multinode.sh). Proves the per-node logic (node-local rank, placement on
// every node, `nodes`, the aggregate over hosts) that one node cannot.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "run_binary.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::kBinary;
using dgen::test::read_file;
using dgen::test::run_shell;

const std::string kSource = DGEN_SOURCE_DIR;
const std::string kScript = kSource + "/tests/slurm/multinode.sh";

class Cluster {
 public:
  Cluster(const std::string& name, int nodes, const std::string& sharing,
          const std::string& env = "")
      : dir_(dgen::test::temp_dir() + "/" + name) {
    const auto r = run_shell(env + " timeout 180 bash " + kScript + " up " + dir_ + " " +
                             std::to_string(nodes) + " " + sharing);
    up_ = r.exit_code == 0;
    log_ = r.out + r.err;
  }
  ~Cluster() { down(); }

  bool up() const { return up_; }
  const std::string& log() const { return log_; }
  const std::string& dir() const { return dir_; }

  // Runs a command inside a cluster namespace (never outside: the subnet exists only there).
  dgen::test::ProcessResult exec(const std::string& node, const std::string& command) const {
    return run_shell("cd " + dir_ + " && DGEN_CLUSTER_DIR=" + dir_ + " DGEN_BIN=" + kBinary +
                     " DGEN_PYTHON=$(" + kSource + "/slurm/find-python.sh) timeout 300 bash " +
                     kScript + " exec " + dir_ + " " + node + " bash -c '" + command + "'");
  }

  // Tears down; returns what was left behind (empty when nothing).
  std::string down() {
    if (torn_down_) return "";
    torn_down_ = true;
    const auto r = run_shell("bash " + kScript + " down " + dir_);
    return r.exit_code == 0 ? "" : r.out + r.err;
  }

 private:
  std::string dir_, log_;
  bool up_ = false, torn_down_ = false;
};

// mpirun started on node1, reaching the other node through the rsh agent (no ssh).
std::string mpirun_from_node1(int slots_per_node, int ranks, const std::string& size) {
  const std::string slots = std::to_string(slots_per_node);
  return "printf \"node1 slots=" + slots + "\\nnode2 slots=" + slots +
         "\\n\" > hostfile && mpirun --mca plm_rsh_agent " + kSource +
         "/tests/slurm/node-rsh.sh --hostfile hostfile -n " + std::to_string(ranks) +
         " --map-by node " + kBinary + " --size " + size + " --format json";
}

nlohmann::json result_of(const std::string& results_dir) {
  for (const auto& e : fs::directory_iterator(results_dir)) {
    if (fs::exists(e.path() / "dgen.json"))
      return nlohmann::json::parse(read_file((e.path() / "dgen.json").string()));
  }
  return {};
}

// Facts the aggregate must obey whatever its formula: every byte of the job was done, the span
// covers every rank's own duration (so the aggregate is at most the sum of the ranks' rates),
// and the ranks' own durations are no longer than the span.
void expect_consistent_aggregate(const nlohmann::json& j) {
  const auto ranks = j["ranks"].get<double>();
  for (std::size_t i = 0; i < j["iterations"].size(); ++i) {
    const auto& it = j["iterations"][i];
    EXPECT_EQ(it["bytes"], j["bytes"]);
    EXPECT_TRUE(it["complete"].get<bool>());
    EXPECT_LE(it["aggregate_gbps"].get<double>(),
              it["rank_mean_gbps"].get<double>() * ranks * 1.000001);
    for (const auto& k : j["per_rank"]) {
      EXPECT_LE(k["seconds"][i].get<double>(), it["seconds"].get<double>() * 1.000001) << k;
    }
  }
}

// Every node's ranks have distinct domains and cpus, and local ranks 0..k-1.
void expect_per_node_placement(const nlohmann::json& j) {
  std::map<std::string, std::set<int>> local, cpus;
  std::map<std::string, int> count;
  for (const auto& k : j["per_rank"]) {
    const std::string host = k["host"];
    ++count[host];
    EXPECT_TRUE(local[host].insert(k["local_rank"].get<int>()).second) << k;
    for (int c : k["cpus"])
      EXPECT_TRUE(cpus[host].insert(c).second) << "cpu shared on " << host << ": " << k;
    EXPECT_GE(k["local_fraction"].get<double>(), 0.99) << k;
    EXPECT_EQ(k["pages_unknown"], 0) << k;
  }
  for (const auto& [host, n] : count) {
    EXPECT_EQ(*local[host].rbegin(), n - 1) << host;
  }
}

class TwoNodes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new Cluster("two-nodes", 2, "own"); }
  static void TearDownTestSuite() {
    EXPECT_EQ(cluster_->down(), "") << "the cluster left something behind";
    delete cluster_;
  }
  void SetUp() override { ASSERT_TRUE(cluster_->up()) << cluster_->log(); }
  static Cluster* cluster_;
};
Cluster* TwoNodes::cluster_ = nullptr;

TEST_F(TwoNodes, BatchScriptOnOneAndTwoNodes) {
  for (int nodes : {1, 2}) {
    const std::string results = "results-" + std::to_string(nodes);
    const auto r =
        cluster_->exec("head", "DGEN_RESULTS=$PWD/" + results +
                                   " DGEN_ARGS=\"--size 32MiB --iterations 2\" sbatch --wait -N " +
                                   std::to_string(nodes) +
                                   " --ntasks-per-node=1 --cpus-per-task=1 --output=$PWD/" +
                                   results + "-%j.out " + kSource + "/slurm/dgen.sbatch");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto j = result_of(cluster_->dir() + "/" + results);
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(j["nodes"], nodes);
    EXPECT_EQ(j["ranks"], nodes);
    std::set<std::string> hosts;
    for (const auto& k : j["per_rank"]) {
      hosts.insert(k["host"].get<std::string>());
      EXPECT_EQ(k["local_rank"], 0);
    }
    EXPECT_EQ(hosts.size(), static_cast<std::size_t>(nodes));
    if (nodes == 2) EXPECT_EQ(hosts, (std::set<std::string>{"node1", "node2"}));
    expect_per_node_placement(j);
    expect_consistent_aggregate(j);
  }
}

TEST_F(TwoNodes, SrunPmixAcrossNodes) {
  const auto r = cluster_->exec(
      "head", "srun --mpi=pmix -N 2 -n 2 " + kBinary + " --size 32MiB --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"], 2);
  EXPECT_EQ(j["per_rank"][0]["host"], "node1");
  EXPECT_EQ(j["per_rank"][1]["host"], "node2");
  // Each node's cgroup cpuset gives it its own core, and hwloc sees only that one.
  EXPECT_EQ(j["per_rank"][0]["cpus"], nlohmann::json::array({0}));
  EXPECT_EQ(j["per_rank"][1]["cpus"], nlohmann::json::array({1}));
  expect_consistent_aggregate(j);
}

TEST_F(TwoNodes, MpirunWithAHostfileThroughTheRshAgent) {
  const auto r = cluster_->exec("node1", mpirun_from_node1(1, 2, "32MiB"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"], 2);
  EXPECT_EQ(j["per_rank"][0]["host"], "node1");
  EXPECT_EQ(j["per_rank"][1]["host"], "node2");
  expect_per_node_placement(j);
}

// One shared file written with MPI-IO by a rank on each node, then read back with --reorder
// (each rank reads what the other node wrote): the bytes are a single process's stream.
TEST_F(TwoNodes, MpiioSharedFileAcrossNodesWritesAndReadsTheStream) {
  const std::string file = cluster_->dir() + "/mpiio-shared.bin";
  for (const std::string& collective : {"on", "off"}) {
    SCOPED_TRACE(collective);
    const auto w = cluster_->exec("head", "srun --mpi=pmix -N 2 -n 2 " + kBinary +
                                              " --size 6000000 --compress-ratio 2 " +
                                              "--io mpiio --collective " + collective +
                                              " --output " + file + " --format json");
    ASSERT_EQ(w.exit_code, 0) << w.err;
    const auto j = nlohmann::json::parse(w.out);
    EXPECT_EQ(j["nodes"], 2);
    EXPECT_EQ(j["storage"]["io"], "mpiio");
    EXPECT_EQ(j["per_rank"][0]["host"], "node1");
    EXPECT_EQ(j["per_rank"][1]["host"], "node2");
    const auto one = run_shell(kBinary + " --size 12000000 --compress-ratio 2 --output - | cmp - " +
                               file + " && echo same");
    EXPECT_EQ(one.out, "same\n") << one.err;
    const auto r = cluster_->exec("head", "srun --mpi=pmix -N 2 -n 2 " + kBinary +
                                              " --size 6000000 --io mpiio --input " + file +
                                              " --reorder --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto jr = nlohmann::json::parse(r.out);
    EXPECT_EQ(jr["mode"], "read");
    EXPECT_EQ(jr["iterations"][0]["bytes"], 12000000);
    EXPECT_TRUE(jr["warnings"].empty()) << jr["warnings"];
  }
}

// A straggler, for real: node2's writes go through a FUSE file system (tests/faultfs) mounted in
// node2's mount namespace only, that makes each take 20 ms; node1 writes the same directory
// plainly. A time-bounded run names the slow rank, and its stonewalled rate (the slowest rank's
// bytes x ranks / the measured stonewall time) falls below the whole run's aggregate, as IOR's
// does.
TEST_F(TwoNodes, AStragglerIsNamedByTheStonewall) {
  const std::string dir = cluster_->dir() + "/straggler";
  const std::string back = dir + "/back", mnt = dir + "/mnt", rules = dir + "/rules";
  fs::create_directories(back);
  fs::create_directories(mnt);
  std::ofstream(rules) << "op=write,fault=slow,ms=20\n";
  const auto mount = cluster_->exec(
      "node2", std::string(DGEN_FAULTFS) + " " + back + " " + mnt + " --rules-file " + rules);
  ASSERT_EQ(mount.exit_code, 0) << mount.err;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      cluster_->exec("head", "srun --mpi=pmix -N 2 -n 2 " + kBinary +
                                 " --size 1GiB --file-per-rank --threads 1 --fsync off " +
                                 "--duration 2s --format json --output " + mnt + "/f");
  // This test's own clock: the stonewall time lies inside the whole job.
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cluster_->exec("node2", "fusermount3 -u " + mnt);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["per_rank"][1]["host"], "node2");
  const auto& it = j["iterations"][0];
  const auto& w = it["stonewall"];
  ASSERT_FALSE(w.is_null()) << it;
  const std::uint64_t fast = j["per_rank"][0]["wall_moved"], slow = j["per_rank"][1]["wall_moved"];
  EXPECT_LT(2 * slow, fast) << "node2's writes were slowed";
  EXPECT_EQ(w["slowest_rank"], 1);
  EXPECT_EQ(w["moved_min"], slow);
  EXPECT_EQ(w["bytes_min"].get<std::uint64_t>(), slow << 20);
  EXPECT_LT(w["gbps"].get<double>(), it["aggregate_gbps"].get<double>())
      << "the stonewalled rate counts the slowest rank only";
  EXPECT_EQ(w["reached"], true) << w;
  EXPECT_GE(w["seconds"].get<double>(), 2.0) << "measured from the start: past the 2 s wall";
  EXPECT_LT(w["seconds"].get<double>(), elapsed) << w;
  // What node2 wrote went through the FUSE mount into its backing directory.
  EXPECT_TRUE(fs::exists(back + "/f.00000001"));
  EXPECT_TRUE(fs::exists(mnt + "/f.00000000"));
  // Each rank's file holds what it moved by the wall; the stonewall rate is 2 ranks x the
  // slower file's bytes over a time between the 2 s limit and this test's whole job.
  std::error_code ec;
  const double slow_file = static_cast<double>(fs::file_size(back + "/f.00000001", ec));
  const double fast_file = static_cast<double>(fs::file_size(mnt + "/f.00000000", ec));
  EXPECT_EQ(slow_file, static_cast<double>(slow << 20));
  EXPECT_EQ(fast_file, static_cast<double>(fast << 20));
  EXPECT_LT(slow_file, fast_file);
  EXPECT_GE(w["gbps"].get<double>() * 1e9, 2 * slow_file / elapsed) << w;
  EXPECT_LE(w["gbps"].get<double>() * 1e9, 2 * slow_file / 2.0 * (1 + 1e-9)) << w;
}

// --analyze across the nodes: each node's rank reads its share of a directory the cluster
// shares, fingerprints go to their owner over the network, and the figures are one process's.
TEST_F(TwoNodes, AnalyzeAcrossNodesGivesOneProcesssFigures) {
  const std::string dir = cluster_->dir() + "/analyze-data";
  fs::create_directories(dir);
  for (const std::string& d : {"1", "2.5"}) {
    const auto w =
        run_shell(kBinary + " --size 3MiB --dedup-ratio " + d + " --compress-ratio 2 --seed 9" +
                  d.substr(0, 1) + " --output " + dir + "/d" + d + ".bin");
    ASSERT_EQ(w.exit_code, 0) << w.err;
  }
  const std::string args = " --threads 1 --analyze-units 4KiB,64KiB --format json --analyze " + dir;
  const auto one = run_shell(kBinary + args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two = cluster_->exec("head", "srun --mpi=pmix -N 2 -n 2 " + kBinary + args);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  auto figures = [](const std::string& text) {
    auto a = nlohmann::json::parse(text);
    EXPECT_EQ(a["mode"], "analyze");
    auto f = a["analyze"];
    for (const char* k : {"seconds", "gbps", "read_seconds", "hash_seconds", "compress_seconds",
                          "exchange_seconds", "count_seconds", "compressor_seconds", "memory"})
      f.erase(k);
    return std::make_pair(a["nodes"].get<int>(), f);
  };
  const auto [nodes_one, f_one] = figures(one.out);
  const auto [nodes_two, f_two] = figures(two.out);
  EXPECT_EQ(nodes_two, 2);
  EXPECT_EQ(f_two, f_one);
  EXPECT_GT(f_one["units"]["4096"]["dedup_ratio"].get<double>(), 1.2);
  fs::remove_all(dir);
}

TEST_F(TwoNodes, ScalingDriverAtOneAndTwoNodes) {
  const auto r =
      cluster_->exec("head", kSource +
                                 "/slurm/scaling.sh --nodes \"1 2\" --layouts 1x1 --repeats 1 "
                                 "--size 32MiB --study $PWD/study --wait -- --iterations 2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream csv(read_file(cluster_->dir() + "/study/scaling.csv"));
  std::string line;
  std::getline(csv, line);
  std::set<std::string> nodes;
  while (std::getline(csv, line)) nodes.insert(line.substr(line.find(',') + 1, 1));
  EXPECT_EQ(nodes, (std::set<std::string>{"1", "2"}));
  const std::string png = read_file(cluster_->dir() + "/study/scaling.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // Kept for people: the plot of this study.
  fs::copy_file(cluster_->dir() + "/study/scaling.png", "multinode-scaling.png",
                fs::copy_options::overwrite_existing);
}

// Two ranks per node, cyclic: a global rank used where the node-local rank belongs shows here.
class TwoSharedNodes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new Cluster("two-shared", 2, "shared"); }
  static void TearDownTestSuite() {
    EXPECT_EQ(cluster_->down(), "");
    delete cluster_;
  }
  void SetUp() override { ASSERT_TRUE(cluster_->up()) << cluster_->log(); }
  static Cluster* cluster_;

  static void expect_cyclic(const nlohmann::json& j) {
    ASSERT_EQ(j["ranks"], 4);
    EXPECT_EQ(j["nodes"], 2);
    for (int r = 0; r < 4; ++r) {
      const auto& k = j["per_rank"][r];
      EXPECT_EQ(k["host"], r % 2 == 0 ? "node1" : "node2") << k;
      EXPECT_EQ(k["local_rank"], r / 2) << k;
      EXPECT_EQ(k["cpus"], nlohmann::json::array({r / 2}))
          << "each node's two ranks split its two cores: " << k;
    }
    expect_per_node_placement(j);
    expect_consistent_aggregate(j);
  }
};
Cluster* TwoSharedNodes::cluster_ = nullptr;

TEST_F(TwoSharedNodes, SrunCyclicTwoRanksPerNode) {
  const auto r = cluster_->exec(
      "head", "srun --mpi=pmix -N 2 -n 4 -m cyclic " + kBinary + " --size 16MiB --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_cyclic(nlohmann::json::parse(r.out));
}

TEST_F(TwoSharedNodes, MpirunMapByNodeTwoRanksPerNode) {
  const auto r = cluster_->exec("node1", mpirun_from_node1(2, 4, "16MiB"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_cyclic(nlohmann::json::parse(r.out));
}

// A node that does not come up: the bring-up fails within its bound and says which and why.
TEST(ClusterBringUp, ANodeThatFailsToStartIsNamedWithItsLog) {
  Cluster cluster("broken", 2, "own", "DGEN_CLUSTER_BREAK=node2");
  EXPECT_FALSE(cluster.up());
  EXPECT_NE(cluster.log().find("node2 is not up"), std::string::npos) << cluster.log();
  EXPECT_NE(cluster.log().find("slurmd"), std::string::npos) << cluster.log();
  EXPECT_EQ(cluster.log().find("node1 is not up"), std::string::npos) << cluster.log();
  EXPECT_EQ(cluster.down(), "");
}

}  // namespace
