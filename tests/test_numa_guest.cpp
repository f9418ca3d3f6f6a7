// Placement on a real multi-NUMA Linux kernel: a qemu guest (software emulation) with 2 or 4
// NUMA nodes, or 2 CPU nodes and a memory-only node, runs dgen_mpi under mpirun and reports
// where every page went. Built and booted by tests/numa-guest/*.sh; ~15 s per boot.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "run_process.hpp"

namespace {

using dgen::test::run_shell;

const std::string kScripts = std::string(DGEN_SOURCE_DIR) + "/tests/numa-guest";

struct Case {
  int rc = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

class NumaGuest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    initrd_ = dgen::test::temp_dir() + "/guest.cpio";
    const auto r = run_shell("bash " + kScripts + "/make-initramfs.sh " + DGEN_MPI_BINARY + " " +
                             kScripts + "/guest-init.sh " + initrd_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Boots the guest with `topology` and runs `cases`; returns each case's output.
  static std::map<std::string, Case> boot(const std::string& topology, const std::string& cases) {
    const auto r =
        run_shell("bash " + kScripts + "/run-guest.sh " + initrd_ + " " + topology + " " + cases);
    const std::string log = r.out + r.err;
    // Kept for people: build/tests/numa-guest-<topology>.log
    std::ofstream(std::string("numa-guest-") + topology + ".log") << log;
    std::map<std::string, Case> out;
    const std::regex block(
        R"(@@BEGIN (\w+)\r?\n([\s\S]*?)@@STDERR \w+\r?\n([\s\S]*?)@@END \w+ rc=(\d+))");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), block);
         it != std::sregex_iterator(); ++it) {
      out[(*it)[1]] = Case{std::stoi((*it)[4]), (*it)[2], (*it)[3]};
    }
    EXPECT_NE(log.find("@@DONE"), std::string::npos)
        << "the guest did not finish:\n"
        << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
    return out;
  }

  // Every rank on its own domain, its buffer there, >= 99% of its pages local.
  static void expect_one_rank_per_domain(const Case& c, int ranks,
                                         const std::map<int, std::set<int>>& cpus_of_node) {
    ASSERT_EQ(c.rc, 0) << c.err;
    const auto j = c.json();
    ASSERT_EQ(j["ranks"], ranks);
    std::set<int> domains;
    for (const auto& k : j["per_rank"]) {
      const int node = k["numa_node"];
      domains.insert(node);
      EXPECT_EQ(k["memory_nodes"], nlohmann::json::array({node})) << k;
      EXPECT_GE(k["local_fraction"].get<double>(), 0.99) << k;
      EXPECT_EQ(k["pages_unknown"], 0) << k;
      EXPECT_EQ(k["pages_unknown"], 0) << k;
      for (int cpu : k["cpus"])
        EXPECT_TRUE(cpus_of_node.at(node).count(cpu)) << "cpu " << cpu << " " << k;
    }
    EXPECT_EQ(static_cast<int>(domains.size()), ranks) << j["per_rank"];
  }

  static std::string initrd_;
};

std::string NumaGuest::initrd_;

TEST_F(NumaGuest, TwoNodesMappedPlainAndWrongOnPurpose) {
  auto cases = boot("numa2", "mapped2,plain2,wrong,strict");
  const std::map<int, std::set<int>> cpus = {{0, {0, 1}}, {1, {2, 3}}};
  expect_one_rank_per_domain(cases["mapped2"], 2, cpus);
  expect_one_rank_per_domain(cases["plain2"], 2, cpus);
  // Plain `mpirun -n 2` binds both ranks to cores of node 0: --bind auto must re-place them.
  for (const auto& k : cases["plain2"].json()["per_rank"]) EXPECT_EQ(k["binding"], "self") << k;
  for (const auto& k : cases["mapped2"].json()["per_rank"])
    EXPECT_EQ(k["binding"], "launcher") << k;

  // numactl --membind=1 with --memory inherit: the thread on node 0 gets remote pages.
  const Case& wrong = cases["wrong"];
  ASSERT_EQ(wrong.rc, 0) << wrong.err;
  const auto w = wrong.json();
  EXPECT_LE(w["per_rank"][0]["local_fraction"].get<double>(), 0.6);
  EXPECT_EQ(w["per_rank"][0]["pages_unknown"], 0);
  ASSERT_EQ(w["warnings"].size(), 1u);
  EXPECT_NE(w["warnings"][0].get<std::string>().find("only 50.0% of the buffer's pages"),
            std::string::npos);
  const Case& strict = cases["strict"];
  EXPECT_EQ(strict.rc, 3);
  EXPECT_NE(strict.err.find("(--strict-placement)"), std::string::npos) << strict.err;
}

TEST_F(NumaGuest, FourNodesMappedAndPlain) {
  auto cases = boot("numa4", "mapped4,plain4");
  const std::map<int, std::set<int>> cpus = {{0, {0}}, {1, {1}}, {2, {2}}, {3, {3}}};
  expect_one_rank_per_domain(cases["mapped4"], 4, cpus);
  expect_one_rank_per_domain(cases["plain4"], 4, cpus);
}

TEST_F(NumaGuest, HbmPolicyPutsBuffersOnTheMemoryOnlyNode) {
  auto cases = boot("hbm", "hbm");
  const Case& c = cases["hbm"];
  ASSERT_EQ(c.rc, 0) << c.err;
  const auto j = c.json();
  ASSERT_EQ(j["ranks"], 2);
  for (const auto& k : j["per_rank"]) {
    EXPECT_EQ(k["memory_nodes"], nlohmann::json::array({2})) << k;
    EXPECT_GE(k["local_fraction"].get<double>(), 0.99) << k;
  }
  EXPECT_NE(j["per_rank"][0]["numa_node"], j["per_rank"][1]["numa_node"]);
}

}  // namespace
