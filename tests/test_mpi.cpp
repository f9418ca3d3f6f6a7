// dgen_mpi under mpirun on this machine: 1, 2 and 4 ranks, with and without NUMA mapping;
// the JSON report checked field by field; the bytes of a multi-rank file; a failing rank.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <hwloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "dgen/generator.hpp"
#include "run_binary.hpp"

#include <algorithm>
#include <sstream>

namespace {

using dgen::test::kBinary;
using dgen::test::kMpirun;
using dgen::test::run_shell;

// The machine as hwloc (not dgen_mpi) sees it: the expectations below come from here.
struct MachineFacts {
  int cores = 0;
  std::vector<int> numa_nodes;  ///< OS indices of the NUMA nodes that have cpus
};

const MachineFacts& machine() {
  static const MachineFacts facts = [] {
    MachineFacts f;
    hwloc_topology_t topo;
    hwloc_topology_init(&topo);
    hwloc_topology_load(topo);
    f.cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    for (hwloc_obj_t n = nullptr; (n = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, n));) {
      if (!hwloc_bitmap_iszero(n->cpuset)) f.numa_nodes.push_back(static_cast<int>(n->os_index));
    }
    hwloc_topology_destroy(topo);
    return f;
  }();
  return facts;
}

// The JSON report of dgen_mpi with `args`, started by `launcher` ("" or an mpirun prefix).
nlohmann::json run_json(const std::string& launcher, const std::string& args) {
  return dgen::test::run_json(launcher + kBinary + " " + args + " --format json");
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
    EXPECT_EQ(k["pages_unknown"], 0) << k;
    EXPECT_GE(k["threads"].get<int>(), 1);
    EXPECT_EQ(k["cpus"].size(), k["threads"].get<std::size_t>());
    const std::string binding = k["binding"];
    EXPECT_TRUE(binding == "launcher" || binding == "self") << binding;
    const auto& nodes = machine().numa_nodes;
    EXPECT_NE(std::find(nodes.begin(), nodes.end(), k["numa_node"].get<int>()), nodes.end()) << k;
    if (nodes.size() == 1) {
      EXPECT_EQ(k["memory_nodes"], nlohmann::json::array({nodes[0]}));
    }
    EXPECT_FALSE(k["host"].get<std::string>().empty());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(ranks));
  // The job's span covers every rank's own duration, so the aggregate cannot exceed the sum
  // of the ranks' own rates; each iteration moved every byte.
  for (const auto& it : j["iterations"]) {
    EXPECT_EQ(it["bytes"], size * ranks);
    EXPECT_LE(it["rank_min_gbps"].get<double>(), it["rank_mean_gbps"].get<double>());
    EXPECT_LE(it["rank_mean_gbps"].get<double>(), it["rank_max_gbps"].get<double>());
    EXPECT_LE(it["aggregate_gbps"].get<double>(),
              it["rank_mean_gbps"].get<double>() * ranks * 1.000001);
    EXPECT_GT(it["aggregate_gbps"].get<double>(), 0);
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
    if (n <= machine().cores) {  // up to one rank per core: each gets its own
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
    const std::string bind = n > machine().cores ? "numa:overload-allowed" : "numa";
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

// Latency histograms reduced by bucket counts and timelines gathered to rank 0 equal what rank 0
// gets merging every rank's own (with 3 ranks, one of them recorded nothing).
TEST(Mpi, LatencyAndTimelineReductionsEqualTheLocalMerge) {
  for (int n : {2, 3}) {
    const auto r = run_shell(kMpirun + "-n " + std::to_string(n) + " " + DGEN_LATENCY_MPI_CHECK);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("latency_mpi_check: " + std::to_string(n) + " ranks, "), std::string::npos)
        << r.out << r.err;
  }
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

// MPMD ranks with other options would compute other offsets: refused, naming the option.
TEST(Mpi, RanksWithDifferentOptionsAreRefused) {
  const auto r =
      run_shell(kMpirun + "-n 1 " + kBinary + " --size 1MiB : -n 1 " + kBinary + " --size 2MiB");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("dgen_mpi: rank 1 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--size 2097152 (2 MiB) differs from rank 0's 1048576 (1 MiB)"),
            std::string::npos)
      << r.err;
  const auto seed = run_shell(kMpirun + "-n 1 " + kBinary + " --size 1MiB --seed 1 : -n 1 " +
                              kBinary + " --size 1MiB --seed 2");
  EXPECT_EQ(seed.exit_code, 2) << seed.err;
  EXPECT_NE(seed.err.find("--seed 2 differs from rank 0's 1"), std::string::npos) << seed.err;
  // Every option of the run is compared: --phases, and an engine's own options (--collective),
  // before anything is created.
  const std::string dir = dgen::test::temp_dir() + "/mpmd-phases";
  const std::string dataset = " --files 2 --file-size 1KiB --output " + dir + " --phases ";
  const auto phases = run_shell(kMpirun + "-n 1 " + kBinary + dataset + "create : -n 1 " + kBinary +
                                dataset + "create,stat");
  EXPECT_EQ(phases.exit_code, 2) << phases.err;
  EXPECT_NE(phases.err.find("--phases create,stat differs from rank 0's create"), std::string::npos)
      << phases.err;
  EXPECT_FALSE(std::filesystem::exists(dir));
  const std::string shared = " --size 1MiB --io mpiio --output " + dir;
  const auto collective = run_shell(kMpirun + "-n 1 " + kBinary + shared + " : -n 1 " + kBinary +
                                    shared + " --collective off");
  EXPECT_EQ(collective.exit_code, 2) << collective.err;
  EXPECT_NE(collective.err.find("--collective off differs from rank 0's on"), std::string::npos)
      << collective.err;
  EXPECT_FALSE(std::filesystem::exists(dir));
  // --threads may differ (nodes of other kinds): it changes neither bytes nor offsets.
  const auto threads = run_shell(kMpirun + "-n 1 " + kBinary + " --size 1MiB --threads 1 : -n 1 " +
                                 kBinary + " --size 1MiB --threads 2");
  EXPECT_EQ(threads.exit_code, 0) << threads.err;
}

// The stream of one seed has 2^64 bytes; a job past it is refused before it writes (it used to
// wrap to offset 0 in the SIMD kernels).
TEST(Mpi, AJobPastTwoToTheSixtyFourBytesIsRefused) {
  const auto r = run_shell(kMpirun + "-n 3 " + kBinary + " --size 6EiB --output /dev/null");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--size 6 EiB x 3 ranks: the job's stream would pass 2^64 bytes"),
            std::string::npos)
      << r.err;
}

// The pid of rank `rank` of the running job whose command line contains `marker`.
int pid_of_rank(const std::string& marker, int rank) {
  int found = -1;
  dgen::test::poll_until(
      [&] {
        const auto r = run_shell("pgrep -f -- '" + marker + "'");
        std::istringstream pids(r.out);
        for (int pid; pids >> pid;) {
          std::ifstream env("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
          const std::string all((std::istreambuf_iterator<char>(env)), {});
          if (all.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') !=
              std::string::npos) {
            found = pid;
            return true;
          }
        }
        return false;
      },
      30, std::chrono::milliseconds(100));
  return found;
}

// Waits (at most 60 s) until the job's rank 0 prints its progress line to the stderr file of
// `base` (the command has --progress): every rank is then past start-up, in its first pass.
bool in_first_pass(const std::string& base) {
  return dgen::test::poll_until(
      [&] { return dgen::test::read_file(base + ".err").find("GB/s  ETA") != std::string::npos; },
      60);
}

// Starts `command` in the background; returns the file its stderr and exit code go to.
std::string start(const std::string& command, const std::string& name) {
  const std::string base = dgen::test::temp_dir() + "/" + name;
  std::system(("(" + std::string(dgen::test::kMpiEnvironment) + command + " >" + base + ".out 2>" +
               base + ".err </dev/null; echo $? >" + base + ".rc) &")
                  .c_str());
  return base;
}

// Waits for the background command to end; its exit code, or -1 after `seconds`.
int wait_for(const std::string& base, int seconds) {
  int code = -1;
  dgen::test::poll_until(
      [&] {
        int read = -1;
        if (!(std::ifstream(base + ".rc") >> read)) return false;  // not there, or not yet written
        code = read;
        return true;
      },
      seconds, std::chrono::milliseconds(100));
  return code;
}

// What became of a 2-rank job after rank 1 got `signal`, once its first pass was under way.
struct AfterSignal {
  int rc = -1;        ///< mpirun's exit code, -1 when it was still running after 60 s
  double waited = 0;  ///< seconds from the signal to the job's end
  std::string err;    ///< its stderr
};

AfterSignal signal_rank_one(const std::string& marker, int signal, const std::string& name) {
  AfterSignal a;
  const auto base = start(kMpirun + "-n 2 " + kBinary + " " + marker + " --progress", name);
  const int pid = pid_of_rank(marker, 1);
  if (pid <= 0) return a;
  // The job runs its passes before rank 1 is stopped or killed.
  if (!in_first_pass(base)) return a;
  const auto t0 = std::chrono::steady_clock::now();
  kill(pid, signal);
  a.rc = wait_for(base, 60);
  a.waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kill(pid, SIGKILL);  // a stopped rank the job left behind
  a.err = dgen::test::read_file(base + ".err");
  return a;
}

// A rank that hangs (SIGSTOP here; a stuck file system alike): with --timeout nobody waits
// longer than that, and rank 0 names the rank that did not come.
TEST(Mpi, TimeoutNamesTheRankThatHangs) {
  const auto a = signal_rank_one("--size 48MiB --iterations 999999 --timeout 3", SIGSTOP, "hang");
  EXPECT_EQ(a.rc, 124) << a.err;
  EXPECT_LT(a.waited, 3 + 10) << a.err;
  EXPECT_NE(a.err.find("dgen_mpi: rank 0 ("), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("--timeout 3: rank 1 ("), std::string::npos) << a.err;
  EXPECT_NE(a.err.find(") did not reach the end of "), std::string::npos) << a.err;
}

// A rank killed outright: the job ends within seconds, naming it (Open MPI's part).
TEST(Mpi, ARankKilledOutrightEndsTheJobNamingIt) {
  const auto a = signal_rank_one("--size 40MiB --iterations 999998", SIGKILL, "killed");
  EXPECT_NE(a.rc, 0) << a.err;
  EXPECT_NE(a.rc, -1) << "still running after 60 s";
  EXPECT_LT(a.waited, 30);
  // Open MPI 4.1 prints "PID 0" here, so the rank and the signal are what is checked.
  EXPECT_NE(a.err.find("process rank 1 with PID"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("exited on signal 9"), std::string::npos) << a.err;
}

// Waits (at most 60 s) until a file in `dir` holds `bytes` or more: the job is writing.
bool has_written(const std::string& dir, std::uintmax_t bytes) {
  return dgen::test::poll_until(
      [&] {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
          std::error_code size_ec;
          if (e.is_regular_file(size_ec) && e.file_size(size_ec) >= bytes && !size_ec) return true;
        }
        return false;
      },
      60);
}

// What became of a 4-rank collective MPI-IO write (two ranks per core here) after SIGTERM to
// rank 2 alone, not to mpirun: a batch system that signals some ranks, or mpirun that signals
// another node's ranks first. `mpirun_args`: more mpirun options (an LD_PRELOAD).
struct OneRankStopped {
  int rc = -1;            ///< mpirun's exit code, -1 when it was still running after 60 s
  double waited = 0;      ///< seconds from the signal to the job's end
  std::string err;        ///< its stderr
  nlohmann::json report;  ///< null when none was written
};

OneRankStopped stop_one_rank_of_a_collective_write(const std::string& name,
                                                   const std::string& transfer,
                                                   const std::string& mpirun_args = "") {
  OneRankStopped a;
  const std::string dir = dgen::test::temp_dir() + "/" + name;
  mkdir(dir.c_str(), 0755);
  const std::string marker = "--output " + dir + "/data --io mpiio --threads 1 --size 64MiB " +
                             "--transfer " + transfer + " --iterations 999996";
  const std::string report = dir + "/report.json";
  const auto base = start(kMpirun + mpirun_args + " -n 4 " + kBinary + " " + marker +
                              " --progress --format json --report " + report,
                          name);
  const int pid = pid_of_rank(marker, 2);
  if (pid <= 0 || !has_written(dir, 4 << 20)) return a;
  const auto t0 = std::chrono::steady_clock::now();
  kill(pid, SIGTERM);
  a.rc = wait_for(base, 60);
  a.waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  a.err = dgen::test::read_file(base + ".err");
  const std::string text = dgen::test::read_file(report);
  if (!text.empty()) a.report = nlohmann::json::parse(text);
  return a;
}

// The ranks agree on a stop before each collective call and leave together at once: the report
// comes, incomplete, and every write latency it holds is a real transfer (no zero-byte calls
// made to pad the rest of the pass). Rank 0 heard of the stop from rank 2.
TEST(Mpi, SigtermToOneRankEndsACollectiveWriteWithAReport) {
  const auto a = stop_one_rank_of_a_collective_write("one-rank-stopped", "256KiB");
  ASSERT_NE(a.rc, -1) << "still running 60 s after the signal\n" << a.err;
  EXPECT_EQ(a.rc, 128 + SIGTERM) << a.err;
  ASSERT_FALSE(a.report.is_null()) << a.err;
  EXPECT_FALSE(a.report["complete"].get<bool>());
  EXPECT_EQ(a.report["stop_signal"], SIGTERM);
  std::uint64_t bytes = 0;
  for (const auto& it : a.report["iterations"]) bytes += it["bytes"].get<std::uint64_t>();
  ASSERT_GT(bytes, 0u);
  EXPECT_EQ(bytes % (256 << 10), 0u);
  EXPECT_EQ(a.report["latency"]["write"]["count"].get<std::uint64_t>(), bytes / (256 << 10))
      << a.report["latency"]["write"];
  EXPECT_NE(a.err.find("dgen_mpi: rank 2 got signal 15: stopping"), std::string::npos) << a.err;
}

// The MPI_File_write_at_all calls each rank made, counted outside dgen_mpi (the profiling
// interface): as many as the transfers it wrote, give or take the one in flight at the stop,
// not the rest of the pass as zero-byte calls.
TEST(Mpi, CollectiveCallsAfterAStopAreBounded) {
  const std::string counts = dgen::test::temp_dir() + "/call-counts";
  mkdir(counts.c_str(), 0755);
  const auto a = stop_one_rank_of_a_collective_write(
      "calls-after-stop", "64KiB",
      "-x LD_PRELOAD=" + std::string(DGEN_MPI_CALL_COUNT) + " -x DGEN_CALL_COUNT_DIR=" + counts);
  ASSERT_NE(a.rc, -1) << a.err;
  ASSERT_FALSE(a.report.is_null()) << a.err;
  std::uint64_t bytes = 0;
  for (const auto& it : a.report["iterations"]) bytes += it["bytes"].get<std::uint64_t>();
  const std::uint64_t per_rank = bytes / (64 << 10) / 4;  // every rank wrote as many
  for (int r = 0; r < 4; ++r) {
    std::ifstream f(counts + "/rank-" + std::to_string(r));
    std::uint64_t calls = 0;
    ASSERT_TRUE(static_cast<bool>(f >> calls)) << "rank " << r << " wrote no count\n" << a.err;
    EXPECT_GE(calls, per_rank) << "rank " << r;
    EXPECT_LE(calls, per_rank + 1)
        << "rank " << r << ": " << calls << " collective calls for " << per_rank << " transfers";
  }
}

// A rank stopped (SIGSTOP) during a collective MPI-IO write holds every other rank inside the
// call or at the agreement before it: --timeout names the stopped rank, once, not each waiting
// rank's call.
TEST(Mpi, TimeoutNamesTheStoppedRankOfACollectiveWriteOnce) {
  const std::string dir = dgen::test::temp_dir() + "/collective-hang";
  mkdir(dir.c_str(), 0755);
  const std::string marker = "--output " + dir + "/data --io mpiio --threads 1 --size 64MiB " +
                             "--transfer 256KiB --iterations 999995 --timeout 3";
  const auto base = start(kMpirun + "-n 3 " + kBinary + " " + marker + " --progress", "chang");
  const int pid = pid_of_rank(marker, 2);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(has_written(dir, 4 << 20)) << dgen::test::read_file(base + ".err");
  kill(pid, SIGSTOP);
  const int rc = wait_for(base, 60);
  kill(pid, SIGKILL);  // a stopped rank the job left behind
  const std::string err = dgen::test::read_file(base + ".err");
  EXPECT_EQ(rc, 124) << err;
  std::size_t said = 0;
  for (std::size_t at = 0; (at = err.find("--timeout 3: ", at)) != std::string::npos; ++at) ++said;
  EXPECT_EQ(said, 1u) << err;
  const std::size_t at = err.find("--timeout 3: ");
  ASSERT_NE(at, std::string::npos) << err;
  const std::string line = err.substr(at, err.find('\n', at) - at);
  EXPECT_EQ(line.find("--timeout 3: rank 2 ("), 0u) << line;
}

// Ranks that share cores each warn that they are oversubscribed: one line, naming them all.
TEST(Mpi, IdenticalWarningsOfSeveralRanksAreOneLine) {
  const auto j = run_json(kMpirun + "-n 3 ",
                          "--size 8MiB --threads " + std::to_string(std::max(machine().cores, 1)));
  ASSERT_FALSE(j.is_null());
  std::vector<std::string> lines;
  for (const auto& w : j["warnings"]) {
    if (w.get<std::string>().find("oversubscribed") != std::string::npos) lines.push_back(w);
  }
  ASSERT_EQ(lines.size(), 1u) << j["warnings"];
  EXPECT_EQ(lines[0].find("ranks 0-2 ("), 0u) << lines[0];
}

// SIGTERM to mpirun (as a batch system's time limit does): mpirun forwards it, every rank stops
// at its next chunk and rank 0 prints the report of what was done before the SIGKILL a
// second later.
TEST(Mpi, SigtermToMpirunGivesAPartialReport) {
  const std::string marker = "--size 32MiB --iterations 999997";
  // mpirun forwards only the first few KiB of output once it is told to stop (10240 bytes of
  // this report came through): the report goes to a file rank 0 writes itself.
  const std::string report = dgen::test::temp_dir() + "/sigterm-report.json";
  const auto base = start(
      kMpirun + "-n 2 " + kBinary + " " + marker + " --progress --format json --report " + report,
      "sigterm");
  // The job runs its first pass before mpirun is told to stop; only this test's mpirun is
  // signalled (other tests run beside it).
  ASSERT_GT(pid_of_rank(marker, 1), 0);
  ASSERT_TRUE(in_first_pass(base)) << dgen::test::read_file(base + ".err");
  run_shell("pkill -TERM -f '^mpirun .*" + marker + "'");
  const int rc = wait_for(base, 60);
  const std::string out = dgen::test::read_file(report);
  const std::string err = dgen::test::read_file(base + ".err");
  EXPECT_NE(rc, 0) << err;
  ASSERT_FALSE(out.empty()) << err;
  const auto j = nlohmann::json::parse(out);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  EXPECT_EQ(j["per_rank"].size(), 2u);
  EXPECT_GE(j["iterations"].size(), 1u);
}

}  // namespace
