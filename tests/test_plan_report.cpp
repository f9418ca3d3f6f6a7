// `dgen_mpi --plan`: golden plans for the shared topologies, and a cross-check against Open
// MPI's own mapper on the same XML (it computes and prints the bindings without applying them).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "run_binary.hpp"
#include "topology/machine.hpp"

namespace {

using dgen::test::kBinary;
using dgen::test::run_shell;
using dgen::test::trim;

const std::string kSource = DGEN_SOURCE_DIR;

TEST(PlanGolden, EveryScenarioMatchesItsGoldenPlan) {
  std::ifstream scenarios(kSource + "/tests/golden-plans/scenarios.txt");
  std::string line;
  int checked = 0;
  while (std::getline(scenarios, line)) {
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::string name = trim(line.substr(0, line.find('|')));
    const std::string args = trim(line.substr(line.find('|') + 1));
    const auto r =
        run_shell("cd " + kSource + " && " + kBinary + " --plan " + args + " --format json");
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const std::string golden =
        dgen::test::read_file(kSource + "/tests/golden-plans/" + name + ".json");
    EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(golden))
        << name << " differs from its golden plan; if intended, run scripts/regen-golden-plans.sh";
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST(PlanGolden, Hbv5SixteenRanksOf23ThreadsOver368DistinctCpus) {
  const auto j = nlohmann::json::parse(
      dgen::test::read_file(kSource + "/tests/golden-plans/hbv5-368-r16.json"));
  std::set<int> cpus;
  ASSERT_EQ(j["per_rank"].size(), 16u);
  for (const auto& r : j["per_rank"]) {
    EXPECT_EQ(r["threads"], 23);
    for (int c : r["cpus"]) cpus.insert(c);
  }
  EXPECT_EQ(cpus.size(), 368u);
  EXPECT_EQ(j["launch"]["mpirun"], "mpirun --map-by numa --bind-to numa -n 16");
}

// A malformed XML file on which hwloc 2.9 itself crashes (found by fuzz/fuzz_topology): one
// line naming the file, exit 2, no core dump.
TEST(PlanCli, AFileThatCrashesHwlocIsRefusedNotDumped) {
  const std::string file = kSource + "/tests/topologies/malformed/hwloc-crash.xml";
  const auto r = run_shell(kBinary + " --plan --topology " + file);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Signal 11 in a plain build; a sanitizer's exit code in a sanitized one.
  EXPECT_EQ(
      r.err.rfind(
          "dgen_mpi: --topology " + file + ": hwloc cannot read it (it crashed on the file, ", 0),
      0u)
      << r.err;
  EXPECT_NE(r.err.find("): not a valid hwloc XML topology\n"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(PlanCli, TableShowsRanksAndLaunchLines) {
  const auto r = run_shell(kBinary + " --plan --topology " + kSource +
                           "/tests/topologies/azure-hbv5-hb368rs.xml --ranks 16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("16 NUMA domain(s), 368 cores"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("   15    15 15           15              23 345-367"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("mpirun --map-by numa --bind-to numa -n 16 dgen_mpi"), std::string::npos);
  EXPECT_NE(r.out.find("srun --mpi=pmix"), std::string::npos);
  const auto live = run_shell(kBinary + " --plan --format json");
  ASSERT_EQ(live.exit_code, 0) << live.err;
  EXPECT_EQ(nlohmann::json::parse(live.out)["topology"], "this machine");
}

// Open MPI's mapper on the same topology file. Its report names hwloc *logical* NUMA indices
// (NM1 can be OS node 2); the plan uses OS indices, so they are converted before comparing.
struct Binding {
  int socket = -1;
  std::vector<int> numa_logical;
  int cores = 0;
};

std::map<int, Binding> open_mpi_bindings(const std::string& xml, int ranks,
                                         const std::string& map) {
  const auto r =
      run_shell("timeout 120 mpirun --mca hwloc_base_topo_file " + xml + " --mca rtc ^hwloc " +
                map + " --report-bindings -n " + std::to_string(ranks) + " " + DGEN_MPI_HELLO);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<int, Binding> out;
  const std::regex line(
      R"(MCW rank (\d+) bound to SK(\d+):.*CR(\d+)(?:-(\d+))?:HT[^:]*:NM(\d+)(?:-(\d+))?)");
  std::istringstream in(r.out + r.err);
  std::string text;
  while (std::getline(in, text)) {
    std::smatch m;
    if (!std::regex_search(text, m, line)) continue;
    Binding b;
    b.socket = std::stoi(m[2]);
    const int c0 = std::stoi(m[3]), c1 = m[4].matched ? std::stoi(m[4]) : c0;
    b.cores = c1 - c0 + 1;
    const int n0 = std::stoi(m[5]), n1 = m[6].matched ? std::stoi(m[6]) : n0;
    for (int n = n0; n <= n1; ++n) b.numa_logical.push_back(n);
    out[std::stoi(m[1])] = b;
  }
  return out;
}

int os_of_logical(const dgen::topology::Machine& m, int logical) {
  for (const auto& d : m.domains) {
    if (d.logical_index == logical) return d.os_index;
  }
  for (const auto& mo : m.memory_only) {
    if (mo.logical_index == logical) return mo.os_index;
  }
  return -1;
}

TEST(PlanVsOpenMpi, OneRankPerDomainAgreesOnOrdinaryMachines) {
  for (const char* name :
       {"azure-hbv5-hb368rs", "azure-hbv5-host384", "azure-hbv4-hb176rs", "gcp-c4-96",
        "workstation-12c", "epyc-7742-nps4-jureca", "spr-8480-snc4", "xeon-6230-memside"}) {
    const std::string xml = kSource + "/tests/topologies/" + name + ".xml";
    const auto machine = dgen::topology::load_machine(xml);
    const int ranks = static_cast<int>(machine.domains.size());
    const auto plan =
        nlohmann::json::parse(run_shell(kBinary + " --plan --format json --topology " + xml).out);
    const auto ompi = open_mpi_bindings(xml, ranks, "--map-by numa --bind-to numa");
    ASSERT_EQ(static_cast<int>(ompi.size()), ranks) << name;
    for (int r = 0; r < ranks; ++r) {
      ASSERT_EQ(ompi.at(r).numa_logical.size(), 1u) << name << " rank " << r;
      EXPECT_EQ(os_of_logical(machine, ompi.at(r).numa_logical[0]),
                plan["per_rank"][r]["numa_node"])
          << name << " rank " << r;
      EXPECT_EQ(ompi.at(r).cores, plan["per_rank"][r]["threads"]) << name << " rank " << r;
    }
  }
}

// Xeon Max in flat mode: Open MPI counts the CPU-less HBM nodes as NUMA objects and binds both
// of 2 ranks to socket 0 (NM0-1); the plan puts one rank on each socket.
TEST(PlanVsOpenMpi, XeonMaxFlatModeOpenMpiCrowdsSocketZeroThePlanDoesNot) {
  const std::string xml = kSource + "/tests/topologies/intel-xeonmax-flat-2s.xml";
  const auto ompi = open_mpi_bindings(xml, 2, "--map-by numa --bind-to numa");
  ASSERT_EQ(ompi.size(), 2u);
  EXPECT_EQ(ompi.at(0).socket, 0);
  EXPECT_EQ(ompi.at(1).socket, 0) << "Open MPI's mapper changed: update docs/running.md";
  const auto plan =
      nlohmann::json::parse(run_shell(kBinary + " --plan --format json --topology " + xml).out);
  EXPECT_EQ(plan["per_rank"][0]["numa_node"], 0);
  EXPECT_EQ(plan["per_rank"][1]["numa_node"], 2);
  EXPECT_EQ(plan["launch"]["mpirun"], "mpirun --map-by ppr:2:node:PE=56 --bind-to core -n 2");
  // The plan's own launch line, given to Open MPI, puts rank 1 on socket 1.
  const auto fixed = open_mpi_bindings(xml, 2, "--map-by ppr:2:node:PE=56 --bind-to core");
  ASSERT_EQ(fixed.size(), 2u);
  EXPECT_EQ(fixed.at(1).socket, 1);
  EXPECT_EQ(fixed.at(1).cores, 56);
}

// With two ranks per domain Open MPI binds both to the whole domain (they share its cores);
// the plan splits the domain's cores between them. The difference is by design.
TEST(PlanVsOpenMpi, TwoRanksPerDomainOpenMpiSharesThePlanSplits) {
  const std::string xml = kSource + "/tests/topologies/azure-hbv5-hb368rs.xml";
  const auto ompi = open_mpi_bindings(xml, 32, "--map-by numa --bind-to numa");
  ASSERT_EQ(ompi.size(), 32u);
  const auto plan = nlohmann::json::parse(
      run_shell(kBinary + " --plan --format json --ranks 32 --topology " + xml).out);
  // Open MPI's rank k goes to NUMA k mod 16 and covers its 23 cores; the plan's ranks 2d, 2d+1
  // split domain d's 23 cores 11 + 12.
  EXPECT_EQ(ompi.at(0).cores, 23);
  EXPECT_EQ(ompi.at(16).numa_logical, ompi.at(0).numa_logical);
  EXPECT_EQ(plan["per_rank"][0]["numa_node"], plan["per_rank"][1]["numa_node"]);
  EXPECT_EQ(plan["per_rank"][0]["threads"].get<int>() + plan["per_rank"][1]["threads"].get<int>(),
            23);
}

}  // namespace
