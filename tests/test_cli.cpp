// dgen_mpi as a user runs it, one process (MPI singleton): bad input, reports, written bytes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#include "run_binary.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::kBinary;
using dgen::test::run_shell;
using dgen::test::trim;

TEST(Cli, BadInputTable) {
  std::ifstream table(DGEN_CLI_CASES);
  ASSERT_TRUE(table) << DGEN_CLI_CASES;
  std::string line;
  int cases = 0;
  while (std::getline(table, line)) {
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    std::istringstream row(line);
    std::string args, code, pattern;
    std::getline(row, args, '|');
    std::getline(row, code, '|');
    std::getline(row, pattern);
    args = trim(args);
    pattern = trim(pattern);
    // In an empty directory, which must stay empty: bad input creates no file.
    const fs::path dir = fs::path(dgen::test::temp_dir()) / ("case" + std::to_string(cases));
    fs::create_directories(dir);
    const auto r = run_shell("cd " + dir.string() + " && " + kBinary + " " + args);
    ++cases;
    EXPECT_EQ(r.exit_code, std::stoi(trim(code))) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args << ": stdout " << r.out;
    // One line from dgen_mpi itself.
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ":\n" << r.err;
    const std::string message = r.err.substr(0, r.err.find('\n'));
    EXPECT_TRUE(std::regex_search(message, std::regex(pattern)))
        << args << ":\n"
        << r.err << "\nwanted: " << pattern;
    EXPECT_TRUE(fs::is_empty(dir)) << args << " left a file in " << dir;
  }
  EXPECT_GE(cases, 55);
}

TEST(Cli, HelpListsEveryOptionWithDefaultsAndExamples) {
  const auto r = run_shell(kBinary + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--size", "--seed", "--dedup-ratio", "--dedup-unit", "--compress-ratio",
                          "--compress-fill", "--threads", "--simd", "--iterations", "--output",
                          "--format", "--progress", "--baseline", "--version", "--help"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  }
  for (const char* text :
       {"(=1GiB)", "(=4KiB)", "(=pattern)", "1 to 100", "512B to 1MiB", "Examples:"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  }
}

TEST(Cli, VersionAndSimdList) {
  auto r = run_shell(kBinary + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("dgen_mpi ", 0), 0u) << r.out;
  r = run_shell(kBinary + " --simd list");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("scalar"), std::string::npos);
  EXPECT_NE(r.out.find("(auto)"), std::string::npos) << r.out;
}

// The report's hwloc_version is the release of the library that runs (hwloc-info, of the same
// installation, prints it), not the API version the program was compiled against (2.8.0 for
// hwloc 2.9.0).
TEST(Cli, HwlocVersionIsTheLibrarysRelease) {
  const auto info = run_shell("hwloc-info --version");
  if (info.exit_code != 0) GTEST_SKIP() << "no hwloc-info (Debian's hwloc package)";
  const std::string line = info.out.substr(0, info.out.find('\n'));  // "hwloc-info 2.9.0"
  const std::string release = line.substr(line.rfind(' ') + 1);
  const auto r = run_shell(kBinary + " --size 4KiB --iterations 1 --threads 1 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["provenance"]["hwloc_version"], release) << line;
}

TEST(Cli, UnsupportedSimdTargetIsRefusedOnTheNode) {
  const auto targets = dgen::compiled_simd_targets();
  const auto missing =
      std::find_if(targets.begin(), targets.end(), [](auto& t) { return !t.supported; });
  if (missing == targets.end()) GTEST_SKIP() << "this CPU supports every compiled target";
  const auto r = run_shell(kBinary + " --size 1MiB --simd " + missing->name);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--simd " + missing->name + ": this CPU does not support it"),
            std::string::npos)
      << r.err;
}

TEST(Cli, BenchJsonReport) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_shell(kBinary +
                           " --size 48MiB --iterations 4 --dedup-ratio 2 --compress-ratio 3 "
                           "--seed 0x1234 --format json --threads 2");
  // This test's own clock: every timed pass lies inside the process's run.
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["version"].get<std::string>().empty());
  EXPECT_EQ(j["mode"], "bench");
  EXPECT_EQ(j["spec"]["seed"], 0x1234);
  EXPECT_EQ(j["spec"]["dedup_ratio"], 2.0);
  EXPECT_EQ(j["spec"]["dedup_unit"], 4096);
  EXPECT_EQ(j["spec"]["compress_ratio"], 3.0);
  EXPECT_EQ(j["spec"]["compress_fill"], "pattern");
  EXPECT_EQ(j["ranks"], 1);
  EXPECT_EQ(j["nodes"], 1);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["bytes"], 48u << 20);
  EXPECT_EQ(j["simd"], dgen::best_simd_target().name);
  ASSERT_EQ(j["iterations"].size(), 4u);
  const double least_gbps = static_cast<double>(48u << 20) / elapsed / 1e9;
  double lowest = INFINITY, highest = 0;
  for (const auto& it : j["iterations"]) {
    EXPECT_GT(it["seconds"].get<double>(), 0);
    EXPECT_LT(it["seconds"].get<double>(), elapsed);
    EXPECT_EQ(it["bytes"], 48u << 20);
    EXPECT_TRUE(it["complete"].get<bool>());
    // At least the 48 MiB over the whole process's time, for the job and for its one rank.
    EXPECT_GE(it["aggregate_gbps"].get<double>(), least_gbps) << it;
    EXPECT_GE(it["rank_min_gbps"].get<double>(), least_gbps) << it;
    lowest = std::min(lowest, it["aggregate_gbps"].get<double>());
    highest = std::max(highest, it["aggregate_gbps"].get<double>());
  }
  EXPECT_TRUE(j["complete"].get<bool>());
  // The summary over the iterations picked out here. The sample standard deviation of 4 values
  // spread over a range R lies between R / sqrt(6) (the two extremes alone apart) and
  // R / 2 * sqrt(4 / 3) (half of them at each end).
  const auto& s = j["summary"]["aggregate_gbps"];
  EXPECT_DOUBLE_EQ(s["min"].get<double>(), lowest);
  EXPECT_DOUBLE_EQ(s["max"].get<double>(), highest);
  EXPECT_LE(s["min"].get<double>(), s["mean"].get<double>());
  EXPECT_LE(s["mean"].get<double>(), s["max"].get<double>());
  const double range = highest - lowest;
  EXPECT_GE(s["stddev"].get<double>(), range / std::sqrt(6.0) * (1 - 1e-9)) << s;
  EXPECT_LE(s["stddev"].get<double>(), range / 2 * std::sqrt(4.0 / 3.0) * (1 + 1e-9)) << s;
  // Both fills are timed; the one compared with is named and is the faster.
  const auto& b = j["baseline"];
  EXPECT_GT(b["memset_gbps"].get<double>(), 0);
  EXPECT_GT(b["streaming_gbps"].get<double>(), 0);
  ASSERT_TRUE(b["kind"] == "memset" || b["kind"] == "streaming") << b;
  EXPECT_GE(b[b["kind"].get<std::string>() + "_gbps"].get<double>(),
            b[b["kind"] == "memset" ? "streaming_gbps" : "memset_gbps"].get<double>());
  EXPECT_EQ(b["memset_iterations"].size(), 4u);
  EXPECT_EQ(b["streaming_iterations"].size(), 4u);
  EXPECT_GT(b["ratio"].get<double>(), 0);
  ASSERT_EQ(j["per_rank"].size(), 1u);
  const auto& k = j["per_rank"][0];
  EXPECT_EQ(k["rank"], 0);
  EXPECT_EQ(k["local_rank"], 0);
  EXPECT_EQ(k["threads"], 2);
  EXPECT_EQ(k["cpus"].size(), 2u);
  EXPECT_GE(k["local_fraction"].get<double>(), 0.99);
  EXPECT_EQ(k["pages_unknown"], 0);
  EXPECT_GT(k["gbps"].get<double>(), 0);
  for (const char* key :
       {"command_line", "start_time", "host", "cpu_model", "transparent_hugepages", "compiler",
        "dgen_version", "mpi_version", "hwloc_version", "job_id"}) {
    EXPECT_TRUE(j["provenance"].contains(key)) << key;
  }
  EXPECT_NE(j["provenance"]["mpi_version"].get<std::string>().find("MPI"), std::string::npos);
}

TEST(Cli, BaselineOffAndCsv) {
  const auto r = run_shell(kBinary + " --size 8MiB --iterations 2 --baseline off --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, row;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("mode,rank,local_rank,host,", 0), 0u) << header;
  int rows = 0;
  while (std::getline(in, row)) {
    ++rows;
    EXPECT_EQ(row.rfind("bench,0,0,", 0), 0u) << row;
  }
  EXPECT_EQ(rows, 2);
  const auto j =
      nlohmann::json::parse(run_shell(kBinary + " --size 8MiB --baseline off --format json").out);
  EXPECT_TRUE(j["baseline"].is_null());
}

TEST(Cli, TableReportForPeople) {
  const auto r = run_shell(kBinary + " --size 8MiB");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text : {"aggregate GB/s", "baseline  GB/s: memset ", ", streaming fill ",
                           "seconds", "local%", "cpus", "  complete\n"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

std::vector<std::byte> library_bytes(const dgen::DataSpec& spec, std::uint64_t n) {
  std::vector<std::byte> v(n);
  dgen::Generator(spec).generate(0, v);
  return v;
}

std::vector<std::byte> file_bytes(const std::string& path) {
  const std::string s = dgen::test::read_file(path);
  return {reinterpret_cast<const std::byte*>(s.data()),
          reinterpret_cast<const std::byte*>(s.data()) + s.size()};
}

TEST(Cli, WrittenFileIsTheLibrarysStream) {
  const std::string path = dgen::test::temp_dir() + "/stream.bin";
  const std::uint64_t size = (40ULL << 20) + 12345;  // not a multiple of any chunk or unit
  dgen::DataSpec spec;
  spec.seed = 77;
  spec.dedup_ratio = 1.7;
  spec.dedup_unit = 8192;
  spec.compress_ratio = 2.5;
  spec.compress_fill = dgen::CompressFill::kZero;
  for (const char* threads : {"1", "3"}) {
    const auto r = run_shell(kBinary + " --size " + std::to_string(size) +
                             " --seed 77 --dedup-ratio 1.7 --dedup-unit 8KiB --compress-ratio 2.5 "
                             "--compress-fill zero --output " +
                             path + " --format json --threads " + threads);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["mode"], "write");
    EXPECT_TRUE(file_bytes(path) == library_bytes(spec, size)) << threads << " threads";
    for (const auto& e : fs::directory_iterator(dgen::test::temp_dir())) {
      EXPECT_EQ(e.path().string().find("dgen-partial"), std::string::npos) << e.path();
    }
  }
}

TEST(Cli, StdoutCarriesTheStreamAndTheReportGoesToStderr) {
  const std::string path = dgen::test::temp_dir() + "/stdout.bin";
  const auto r = run_shell(kBinary + " --size 5000000 --output - --threads 2 > " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("aggregate GB/s"), std::string::npos) << r.err;
  EXPECT_TRUE(file_bytes(path) == library_bytes(dgen::DataSpec{}, 5000000));
}

TEST(Cli, FailedWriteNamesPathOffsetAndError) {
  const auto r = run_shell(kBinary + " --size 64MiB --output /dev/full --in-place");
  EXPECT_EQ(r.exit_code, 4) << "an I/O error";
  EXPECT_NE(r.err.find("write to /dev/full failed at offset "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  const auto missing = run_shell(kBinary + " --size 1MiB --output /nonexistent-dir/x.bin");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("/nonexistent-dir/x.bin"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("No such file or directory"), std::string::npos) << missing.err;
}

TEST(Cli, InterruptedWriteLeavesNoFile) {
  const std::string dir = dgen::test::temp_dir() + "/interrupted";
  fs::create_directories(dir);
  const std::string path = dir + "/interrupted.bin";
  dgen::test::Background run(kBinary + " --size 8GiB --threads 2 --fsync off --progress --output " +
                             path);
  // The write is under way (a progress line with bytes) before the signal comes.
  ASSERT_TRUE(run.wait_for([&] { return dgen::test::progress_bytes(run.err()) > 0; })) << run.err();
  run.signal(SIGTERM);
  const auto r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_NE(r.err.find("interrupted by signal 15"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir)) << "a temporary file was left";
  fs::remove_all(dir);
}

// OpenMP may give fewer threads than asked (OMP_THREAD_LIMIT, OMP_DYNAMIC): the run works on
// the team it got, every byte is written, and the report says how many threads ran.
TEST(Cli, ASmallerOpenMpTeamStillWritesEveryByte) {
  const std::string path = dgen::test::temp_dir() + "/thread-limit.bin";
  const std::uint64_t size = 64ULL << 20;
  for (const char* env : {"OMP_THREAD_LIMIT=1", "OMP_DYNAMIC=true", "OMP_THREAD_LIMIT=2"}) {
    const auto r = run_shell(std::string(env) + " " + kBinary + " --threads 3 --size " +
                             std::to_string(size) + " --output " + path + " --format json");
    ASSERT_EQ(r.exit_code, 0) << env << "\n" << r.err;
    EXPECT_TRUE(file_bytes(path) == library_bytes(dgen::DataSpec{}, size)) << env;
    const auto j = nlohmann::json::parse(r.out);
    const std::string limit = env;
    if (limit.rfind("OMP_THREAD_LIMIT", 0) == 0) {
      const int got = limit.back() - '0';
      EXPECT_EQ(j["threads"], got) << env;
      EXPECT_EQ(j["per_rank"][0]["cpus"].size(), static_cast<std::size_t>(got));
      const std::string warned = j["warnings"].dump();
      EXPECT_NE(
          warned.find("OpenMP gave " + std::to_string(got) + " of the 3 planned threads (" + limit),
          std::string::npos)
          << warned;
    } else {
      EXPECT_EQ(j["threads"], 3) << env;  // dynamic adjustment is switched off for the run
    }
  }
}

TEST(Cli, LeadingZerosAreDecimal) {
  auto r =
      run_shell(kBinary + " --seed 010 --threads 02 --iterations 03 --size 1MiB --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["spec"]["seed"], 10);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["iterations"].size(), 3u);
  r = run_shell(kBinary + " --seed 0x10 --threads 08 --size 1MiB --baseline off --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["spec"]["seed"], 16);
  EXPECT_EQ(j["threads"], 8);
}

// SIGTERM (what SLURM and mpirun send) in bench mode: the report of what was done, marked
// incomplete, and exit 128 + 15. The signal comes once the progress line shows the second pass
// (after the first generate pass and its baselines), never after a fixed delay.
TEST(Cli, SigtermInBenchModeReportsWhatWasDone) {
  const std::uint64_t size = 64ULL << 20;
  dgen::test::Background run(kBinary +
                             " --size 64MiB --iterations 1000000 --format json --progress");
  ASSERT_TRUE(run.wait_for([&] { return dgen::test::progress_bytes(run.err()) > 4.5 * size; }))
      << run.err();
  run.signal(SIGTERM);
  const auto r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  ASSERT_GE(j["iterations"].size(), 2u) << "the signal came in the second pass or later";
  const auto& its = j["iterations"];
  for (std::size_t i = 0; i + 1 < its.size(); ++i) {
    EXPECT_TRUE(its[i]["complete"].get<bool>());
    EXPECT_EQ(its[i]["bytes"], 64u << 20);
  }
  EXPECT_LE(its.back()["bytes"].get<std::uint64_t>(), 64u << 20);
  EXPECT_GT(j["summary"]["aggregate_gbps"]["max"].get<double>(), 0);
  // Generation and the baselines take turns: the baselines have at most as many passes.
  ASSERT_FALSE(j["baseline"].is_null());
  EXPECT_LE(j["baseline"]["memset_iterations"].size(), its.size());
  EXPECT_GT(j["baseline"]["memset_gbps"].get<double>(), 0);
  EXPECT_NE(r.err.find("dgen_mpi: interrupted by signal 15: the report covers what was done"),
            std::string::npos)
      << r.err;
  // SIGINT (Ctrl-C) once the first pass runs: the table says it is incomplete.
  dgen::test::Background table(kBinary +
                               " --size 64MiB --iterations 1000000 --format table --progress");
  ASSERT_TRUE(table.wait_for([&] { return dgen::test::progress_bytes(table.err()) > 0; }))
      << table.err();
  table.signal(SIGINT);
  const auto t = table.wait();
  EXPECT_EQ(t.exit_code, 130) << t.err;
  EXPECT_NE(t.out.find("INCOMPLETE: stopped by signal 2"), std::string::npos) << t.out;
}

// A process's resident memory in bytes (VmRSS), 0 when it is gone.
std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// A stop before the first pass still prints the incomplete report: the signal comes while the
// buffer's pages are first touched (its resident memory grows), before any pass begins.
TEST(Cli, AStopBeforeTheFirstPassStillReports) {
  dgen::test::Background run(kBinary + " --size 2GiB --iterations 3 --threads 1 --format json");
  ASSERT_TRUE(run.wait_for([&] { return resident_bytes(run.pid()) > (128ULL << 20); }))
      << run.err();
  run.signal(SIGTERM);
  const auto r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  EXPECT_LE(j["iterations"].size(), 1u);
  EXPECT_NE(r.err.find("interrupted by signal 15"), std::string::npos) << r.err;
}

// --keep-partial: an interrupted write keeps the prefix that was written under its temporary
// name (nothing that looks complete appears at the path), and those bytes are the stream's.
TEST(Cli, KeepPartialLeavesTheWrittenPrefixOfTheStream) {
  const std::string dir = dgen::test::temp_dir() + "/keep";
  fs::create_directories(dir);
  const std::string path = dir + "/partial.bin";
  dgen::test::Background run(kBinary + " --size 8GiB --threads 2 --fsync off --progress --output " +
                             path + " --keep-partial --format json");
  ASSERT_TRUE(run.wait_for([&] { return dgen::test::progress_bytes(run.err()) > 0; })) << run.err();
  run.signal(SIGTERM);
  const auto r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["complete"].get<bool>());
  const std::uint64_t kept = j["bytes_kept"].get<std::uint64_t>();
  EXPECT_FALSE(fs::exists(path)) << "a partial file at the final name looks complete";
  const std::string partial = j["output_state"]["path"];
  EXPECT_EQ(partial.rfind(path + ".dgen-partial-", 0), 0u) << partial;
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_EQ(fs::file_size(partial), kept);
  EXPECT_LT(kept, 8ULL << 30);
  EXPECT_LE(kept, j["iterations"][0]["bytes"].get<std::uint64_t>());
  const auto got = file_bytes(partial);
  EXPECT_TRUE(got == library_bytes(dgen::DataSpec{}, got.size()));
  fs::remove_all(dir);
}

// The temporary name is unique even where pids repeat (a container, a pid namespace: every
// first process is pid 1), and it is never an existing file or link: a link planted at the
// name an older build would use leads nowhere.
TEST(Cli, TemporaryOutputNameIsUniqueAndNeverFollowsALink) {
  const std::string dir = dgen::test::temp_dir() + "/pidns";
  fs::create_directories(dir);
  std::ofstream(dir + "/victim") << "precious";
  fs::create_symlink(dir + "/victim", dir + "/out.bin.dgen-partial-1");
  const auto r = run_shell("cd " + dir + " && unshare --pid --fork --mount-proc sh -c 'exec " +
                           kBinary + " --size 1MiB --output out.bin --format csv'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string victim = dgen::test::read_file(dir + "/victim");
  EXPECT_TRUE(victim == "precious") << "the linked file now holds " << victim.size() << " bytes";
  EXPECT_EQ(fs::file_size(dir + "/out.bin"), 1u << 20);
  fs::remove_all(dir);
}

// After the rename the directory is fsynced, or the new name may not survive a crash.
// --transfer takes effect on a stream too: every write call moves at most that many bytes.
TEST(Cli, StdoutIsWrittenInTransfers) {
  const std::string dir = dgen::test::temp_dir() + "/stdout-transfer";
  fs::create_directories(dir);
  const auto r =
      run_shell("strace -f -e trace=write -o " + dir + "/trace " + kBinary +
                " --size 100000 --output - --transfer 4000 --threads 2 > " + dir + "/out.bin");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(file_bytes(dir + "/out.bin") == library_bytes(dgen::DataSpec{}, 100000));
  const std::string trace = dgen::test::read_file(dir + "/trace");
  const std::regex call("write\\(1, .*\\) += ([0-9]+)");
  std::uint64_t calls = 0, bytes = 0;
  for (auto it = std::sregex_iterator(trace.begin(), trace.end(), call);
       it != std::sregex_iterator(); ++it) {
    const std::uint64_t n = std::stoull((*it)[1].str());
    EXPECT_LE(n, 4000u) << (*it)[0].str();
    ++calls;
    bytes += n;
  }
  EXPECT_EQ(bytes, 100000u) << trace;
  EXPECT_EQ(calls, 25u);
  fs::remove_all(dir);
}

// --pattern strided: a --size equal to segments x block is the same request, accepted.
TEST(Cli, StridedTakesASizeEqualToSegmentsTimesBlock) {
  const std::string dir = dgen::test::temp_dir() + "/strided-size";
  fs::create_directories(dir);
  const auto r = run_shell(kBinary + " --pattern strided --segments 4 --block 8KiB --size 32KiB " +
                           "--output " + dir + "/s.bin --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(file_bytes(dir + "/s.bin") == library_bytes(dgen::DataSpec{}, 32768));
  fs::remove_all(dir);
}

TEST(Cli, RenameIsFollowedByAnFsyncOfTheDirectory) {
  const std::string dir = dgen::test::temp_dir() + "/dirsync";
  fs::create_directories(dir);
  const auto r = run_shell("strace -f -e trace=openat,rename,fsync -o " + dir + "/trace " +
                           kBinary + " --size 1MiB --output " + dir + "/f.bin --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string trace = dgen::test::read_file(dir + "/trace");
  const auto renamed = trace.find("rename(\"" + dir + "/f.bin.dgen-partial-");
  ASSERT_NE(renamed, std::string::npos) << trace;
  const std::regex dir_open("openat\\(AT_FDCWD, \"" + dir +
                            "\", [^)]*O_DIRECTORY[^)]*\\) = ([0-9]+)");
  std::smatch m;
  const std::string after = trace.substr(renamed);
  ASSERT_TRUE(std::regex_search(after, m, dir_open)) << after;
  EXPECT_TRUE(std::regex_search(after, std::regex("fsync\\(" + m[1].str() + "\\) +=  ?0")))
      << after;
  fs::remove_all(dir);
}

// --plan and a run take the same placement request, OMP_NUM_THREADS included.
TEST(Cli, PlanAndRunAgreeOnThreadsFromTheEnvironment) {
  const auto plan = run_shell("OMP_NUM_THREADS=1 " + kBinary + " --plan --ranks 1 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto p = nlohmann::json::parse(plan.out);
  const auto run = run_shell("OMP_NUM_THREADS=1 " + kBinary + " --size 4MiB --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  ASSERT_EQ(p["per_rank"].size(), 1u) << p;
  EXPECT_EQ(p["per_rank"][0]["threads"], 1) << p["per_rank"][0];
  EXPECT_EQ(p["per_rank"][0]["cpus"], j["per_rank"][0]["cpus"]);
  EXPECT_EQ(j["threads"], 1);
}

// A buffer larger than ulimit -v allows is refused before allocating, with the figure.
TEST(Cli, AddressSpaceLimitIsNamed) {
  if (DGEN_SANITIZED) GTEST_SKIP() << "ASan and TSan reserve terabytes of address space";
  const auto r = run_shell("ulimit -v 6000000 && " + kBinary + " --size 8GiB");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("ulimit -v leaves "), std::string::npos) << r.err;
}

// --report: the report goes to the file, whole, and not to stdout; nothing else is left beside it.
TEST(Cli, ReportFileHoldsTheWholeReport) {
  const std::string dir = dgen::test::temp_dir() + "/report";
  fs::create_directories(dir);
  const auto r =
      run_shell(kBinary + " --size 4MiB --iterations 2 --format json --report " + dir + "/r.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto j = nlohmann::json::parse(dgen::test::read_file(dir + "/r.json"));
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_EQ(j["iterations"].size(), 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
  const auto bad = run_shell(kBinary + " --size 4MiB --report /nonexistent-dir/r.json");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--report /nonexistent-dir/r.json: its directory /nonexistent-dir does "
                         "not exist"),
            std::string::npos)
      << bad.err;
  fs::remove_all(dir);
}

TEST(Cli, ProgressLineWhenAsked) {
  const auto r = run_shell(kBinary + " --size 3GiB --output /dev/null --progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("GB/s  ETA "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/ 3 GiB"), std::string::npos) << r.err;
  const auto quiet = run_shell(kBinary + " --size 8MiB");  // stderr is a file: off by default
  EXPECT_EQ(quiet.err, "");
}

}  // namespace
