// The placement plan on real machines' hwloc XML (tests/topologies, see its README): a pure
// function of (machine, request), checked without binding anything.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "topology/binding.hpp"
#include "topology/machine.hpp"
#include "topology/plan.hpp"

namespace {

using dgen::topology::BindPolicy;
using dgen::topology::Machine;
using dgen::topology::MemoryPolicy;
using dgen::topology::PlanRequest;
using dgen::topology::RankPlan;

Machine machine(const std::string& name) {
  return dgen::topology::load_machine(std::string(DGEN_TOPOLOGIES) + "/" + name + ".xml");
}

std::vector<RankPlan> plan(const Machine& m, int ranks, std::optional<int> threads = std::nullopt,
                           bool smt = false, MemoryPolicy memory = MemoryPolicy::kLocal) {
  PlanRequest r;
  r.ranks = ranks;
  r.threads = threads;
  r.smt = smt;
  r.memory = memory;
  return dgen::topology::plan_node(m, r);
}

std::set<int> all_cpus(const std::vector<RankPlan>& plans) {
  std::set<int> s;
  for (const auto& p : plans) s.insert(p.cpus.begin(), p.cpus.end());
  return s;
}

int domain_of(const Machine& m, int pu) {
  for (const auto& d : m.domains) {
    for (const auto& c : d.cores) {
      if (std::count(c.pus.begin(), c.pus.end(), pu)) return d.os_index;
    }
  }
  return -1;
}

TEST(Machine, ReadsDomainsCoresAndMemoryOnlyNodes) {
  struct Expect {
    const char* file;
    int domains, cores, pus, memory_only;
  };
  for (const Expect& e :
       {Expect{"azure-hbv5-hb368rs", 16, 368, 368, 0},
        Expect{"azure-hbv5-host384", 16, 384, 384, 0}, Expect{"azure-hbv4-hb176rs", 4, 176, 176, 0},
        Expect{"gcp-c4-96", 2, 48, 96, 0}, Expect{"workstation-12c", 1, 12, 24, 0},
        Expect{"intel-xeonmax-flat-2s", 2, 112, 224, 2},
        Expect{"epyc-7742-nps4-jureca", 8, 128, 256, 0}, Expect{"spr-8480-snc4", 8, 112, 224, 0},
        Expect{"xeon-6230-memside", 4, 40, 80, 0}}) {
    const Machine m = machine(e.file);
    EXPECT_EQ(static_cast<int>(m.domains.size()), e.domains) << e.file;
    EXPECT_EQ(m.cores(), e.cores) << e.file;
    EXPECT_EQ(m.pus(), e.pus) << e.file;
    EXPECT_EQ(static_cast<int>(m.memory_only.size()), e.memory_only) << e.file;
  }
}

TEST(Machine, XeonMaxHbmNodesAreMemoryTargetsBesideTheirSocket) {
  const Machine m = machine("intel-xeonmax-flat-2s");
  ASSERT_EQ(m.domains.size(), 2u);
  EXPECT_EQ(m.domains[0].os_index, 0);
  EXPECT_EQ(m.domains[1].os_index, 2);
  EXPECT_EQ(m.domains[0].near_memory_only, std::vector<int>{1});
  EXPECT_EQ(m.domains[1].near_memory_only, std::vector<int>{3});
}

TEST(Machine, DomainsFollowHwlocLogicalOrder) {
  const Machine m = machine("xeon-6230-memside");
  std::vector<int> os;
  for (const auto& d : m.domains) os.push_back(d.os_index);
  EXPECT_EQ(os, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(m.domains[1].logical_index, 1);
}

TEST(Machine, ThisMachineHasADomain) {
  const Machine m = dgen::topology::load_machine();
  EXPECT_GE(m.domains.size(), 1u);
  EXPECT_GE(m.cores(), 1);
}

TEST(Plan, Hbv5SixteenRanksOneDomainEach) {
  const Machine m = machine("azure-hbv5-hb368rs");
  const auto p = plan(m, 16);
  ASSERT_EQ(p.size(), 16u);
  for (int r = 0; r < 16; ++r) {
    EXPECT_EQ(p[r].domains, std::vector<int>{m.domains[r].os_index});
    EXPECT_EQ(p[r].threads(), 23);
    EXPECT_EQ(p[r].memory_nodes, std::vector<int>{m.domains[r].os_index});
    EXPECT_FALSE(p[r].oversubscribed);
    for (int cpu : p[r].cpus) EXPECT_EQ(domain_of(m, cpu), m.domains[r].os_index);
  }
  EXPECT_EQ(all_cpus(p).size(), 368u);
}

TEST(Plan, OneRankTakesEveryDomainAndEachThreadTouchesItsOwn) {
  const Machine m = machine("azure-hbv5-hb368rs");
  const auto p = plan(m, 1);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].domains.size(), 16u);
  EXPECT_EQ(p[0].threads(), 368);
  EXPECT_EQ(p[0].memory_nodes.size(), 16u);
  for (int t = 0; t < p[0].threads(); ++t)
    EXPECT_EQ(p[0].thread_nodes[t], domain_of(m, p[0].cpus[t]));
  // Thread order follows domain order, so each thread's contiguous part lies in its domain.
  EXPECT_TRUE(std::is_sorted(p[0].thread_nodes.begin(), p[0].thread_nodes.end()));
}

TEST(Plan, FewerRanksThanDomainsGetContiguousWholeDomains) {
  const Machine m = machine("azure-hbv5-hb368rs");
  const auto p = plan(m, 3);  // 16 domains: 5, 5, 6
  EXPECT_EQ(p[0].domains, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(p[1].domains, (std::vector<int>{5, 6, 7, 8, 9}));
  EXPECT_EQ(p[2].domains.size(), 6u);
  EXPECT_EQ(all_cpus(p).size(), 368u);
}

TEST(Plan, MoreRanksThanDomainsSplitEachDomainsCores) {
  const Machine m = machine("azure-hbv5-hb368rs");
  const auto p = plan(m, 32);
  for (int r = 0; r < 32; ++r) {
    EXPECT_EQ(p[r].domains, std::vector<int>{m.domains[r / 2].os_index}) << r;
    EXPECT_TRUE(p[r].threads() == 11 || p[r].threads() == 12) << r;
    EXPECT_FALSE(p[r].oversubscribed);
  }
  EXPECT_EQ(all_cpus(p).size(), 368u);  // no cpu shared
}

TEST(Plan, MoreRanksThanCoresOneThreadEachRoundRobin) {
  const Machine m = machine("workstation-12c");
  const auto p = plan(m, 15);
  for (const auto& r : p) {
    EXPECT_EQ(r.threads(), 1);
    EXPECT_TRUE(r.oversubscribed);
  }
  EXPECT_EQ(all_cpus(p).size(), 12u);
}

TEST(Plan, CoresNotHardwareThreadsUnlessSmt) {
  const Machine m = machine("gcp-c4-96");
  auto p = plan(m, 2);
  for (const auto& r : p) EXPECT_EQ(r.threads(), 24);
  EXPECT_EQ(all_cpus(p).size(), 48u);
  p = plan(m, 2, std::nullopt, true);
  for (const auto& r : p) EXPECT_EQ(r.threads(), 48);
  EXPECT_EQ(all_cpus(p).size(), 96u);
}

TEST(Plan, ThreadsFewerThanCpusAreSpreadOverTheRanksDomains) {
  const Machine m = machine("azure-hbv5-hb368rs");
  const auto p = plan(m, 1, 16);
  std::set<int> nodes(p[0].thread_nodes.begin(), p[0].thread_nodes.end());
  EXPECT_EQ(nodes.size(), 16u);  // one thread in each domain
  const auto over = plan(m, 16, 30);
  EXPECT_TRUE(over[0].oversubscribed);
  EXPECT_EQ(over[0].threads(), 30);
}

// A cloud VM that shows its 2 vCPUs as one core's 2 hardware threads: --threads 2 must run on
// both, not twice on the first (which halved the bandwidth and the in-process baseline alike).
TEST(Plan, ThreadsBeyondTheCoresTakeTheirSiblingsBeforeSharingAPu) {
  const auto vm = plan(machine("vm-2vcpu-smt"), 1, 2);
  EXPECT_EQ(std::set<int>(vm[0].cpus.begin(), vm[0].cpus.end()), (std::set<int>{0, 1}));
  EXPECT_FALSE(vm[0].oversubscribed);
  EXPECT_EQ(plan(machine("vm-2vcpu-smt"), 1)[0].cpus, std::vector<int>{0});  // a thread a core
  EXPECT_TRUE(plan(machine("vm-2vcpu-smt"), 1, 3)[0].oversubscribed);
  // Two domains of 2 cores x 2 PUs: 3 threads a rank on 3 distinct PUs of the rank's own domain.
  const Machine m = machine("synthetic-2numa-2core-smt");
  const auto p = plan(m, 2, 3);
  EXPECT_EQ(std::set<int>(p[0].cpus.begin(), p[0].cpus.end()).size(), 3u);
  EXPECT_EQ(std::set<int>(p[1].cpus.begin(), p[1].cpus.end()).size(), 3u);
  for (int c : p[0].cpus) EXPECT_LT(c, 4) << "domain 0 holds PUs 0-3";
  for (int c : p[1].cpus) EXPECT_GE(c, 4) << "domain 1 holds PUs 4-7";
  EXPECT_FALSE(p[0].oversubscribed);
  // One rank over both domains with 8 threads: every PU once, threads in domain order.
  const auto all = plan(m, 1, 8);
  EXPECT_EQ(all_cpus(all).size(), 8u);
  EXPECT_EQ(all[0].thread_nodes, (std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(Plan, XeonMaxHbmPutsEachRanksBufferOnItsSocketsHbm) {
  const Machine m = machine("intel-xeonmax-flat-2s");
  auto p = plan(m, 2, std::nullopt, false, MemoryPolicy::kHbm);
  EXPECT_EQ(p[0].domains, std::vector<int>{0});
  EXPECT_EQ(p[0].memory_nodes, std::vector<int>{1});
  EXPECT_EQ(p[1].domains, std::vector<int>{2});
  EXPECT_EQ(p[1].memory_nodes, std::vector<int>{3});
  p = plan(m, 2);
  EXPECT_EQ(p[0].memory_nodes, std::vector<int>{0});
  EXPECT_EQ(p[1].memory_nodes, std::vector<int>{2});
  EXPECT_THROW(plan(machine("gcp-c4-96"), 2, std::nullopt, false, MemoryPolicy::kHbm),
               std::invalid_argument);
}

TEST(Plan, JurecaNps4DomainsAndSmtSiblings) {
  const Machine m = machine("epyc-7742-nps4-jureca");
  const auto p = plan(m, 8, std::nullopt, true);
  for (int k = 0; k < 8; ++k) {
    std::set<int> expect;
    for (int i = 0; i < 16; ++i) {
      expect.insert(16 * k + i);
      expect.insert(16 * k + i + 128);
    }
    EXPECT_EQ(std::set<int>(p[k].cpus.begin(), p[k].cpus.end()), expect) << k;
  }
}

// What plain `mpirun -n 2` does on a two-domain node: both ranks bound to cores of domain 0.
TEST(BindAuto, BothRanksOnDomainZeroCoresIsReplaced) {
  const Machine m = machine("gcp-c4-96");
  const auto plans = plan(m, 2);
  const int core0 = m.domains[0].cores[0].pus[0], core1 = m.domains[0].cores[1].pus[0];
  EXPECT_FALSE(dgen::topology::launcher_binding_matches(m, plans, {{core0}, {core1}}));
}

TEST(BindAuto, NumaBindingMatchingThePlanIsKept) {
  const Machine m = machine("gcp-c4-96");
  const auto plans = plan(m, 2);
  std::vector<std::vector<int>> numa(2);
  for (int d = 0; d < 2; ++d) {
    for (const auto& c : m.domains[d].cores)
      numa[d].insert(numa[d].end(), c.pus.begin(), c.pus.end());
  }
  EXPECT_TRUE(dgen::topology::launcher_binding_matches(m, plans, numa));
  // Swapped domains: each rank inside a domain, but not its own.
  EXPECT_FALSE(dgen::topology::launcher_binding_matches(m, plans, {numa[1], numa[0]}));
}

TEST(BindAuto, UnboundOrCoreBoundRanksAreReplaced) {
  const Machine m = machine("gcp-c4-96");
  const auto plans = plan(m, 2);
  std::vector<int> every;
  for (const auto& d : m.domains) {
    for (const auto& c : d.cores) every.insert(every.end(), c.pus.begin(), c.pus.end());
  }
  EXPECT_FALSE(dgen::topology::launcher_binding_matches(m, plans, {every, every}));
  // --map-by numa --bind-to core: the right domains, but one core each.
  EXPECT_FALSE(dgen::topology::launcher_binding_matches(
      m, plans, {{m.domains[0].cores[0].pus[0]}, {m.domains[1].cores[0].pus[0]}}));
}

TEST(BindLauncher, RestrictedMachinePlansOverTheGivenCpus) {
  const Machine m = machine("azure-hbv5-hb368rs");
  std::vector<int> given;
  for (const auto& c : m.domains[3].cores) given.push_back(c.pus[0]);
  const Machine r = dgen::topology::restrict_to(m, given);
  ASSERT_EQ(r.domains.size(), 1u);
  EXPECT_EQ(r.domains[0].os_index, m.domains[3].os_index);
  EXPECT_EQ(plan(r, 1)[0].threads(), 23);
}

TEST(Policies, NamesRoundTripAndBadNamesAreRefused) {
  for (auto b : {BindPolicy::kAuto, BindPolicy::kLauncher, BindPolicy::kNone}) {
    EXPECT_EQ(dgen::topology::parse_bind_policy(dgen::topology::to_string(b)), b);
  }
  for (auto p : {MemoryPolicy::kLocal, MemoryPolicy::kInherit, MemoryPolicy::kHbm}) {
    EXPECT_EQ(dgen::topology::parse_memory_policy(dgen::topology::to_string(p)), p);
  }
  EXPECT_THROW(dgen::topology::parse_bind_policy("core"), std::invalid_argument);
}

}  // namespace
