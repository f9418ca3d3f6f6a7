// The project's slurm/ scripts on a real SLURM (slurm-wlm 22.05 + munge) started by the test on
// this machine (tests/slurm/cluster.sh), then stopped; every wait is bounded.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "run_binary.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::kBinary;
using dgen::test::run_shell;

const std::string kSource = DGEN_SOURCE_DIR;

class SlurmCluster {
 public:
  SlurmCluster(const std::string& name, const std::string& shape)
      : dir_(dgen::test::temp_dir() + "/" + name) {
    const auto r =
        run_shell("bash " + kSource + "/tests/slurm/cluster.sh start " + dir_ + " " + shape);
    up_ = r.exit_code == 0;
    log_ = r.out + r.err;
  }
  ~SlurmCluster() { stop(); }

  bool up() const { return up_; }
  const std::string& log() const { return log_; }
  const std::string& dir() const { return dir_; }

  // A command with the cluster's SLURM_CONF, from a scratch directory, the dgen_mpi under test.
  dgen::test::ProcessResult run(const std::string& command) const {
    return run_shell("export SLURM_CONF=" + dir_ + "/slurm.conf DGEN_BIN=" + kBinary +
                     " DGEN_PYTHON=$(" + kSource + "/slurm/find-python.sh); cd " + dir_ + " && " +
                     command);
  }

  std::string stop() {
    if (!up_) return "";
    up_ = false;
    const auto r = run_shell("bash " + kSource + "/tests/slurm/cluster.sh stop " + dir_);
    return r.exit_code == 0 ? "" : r.out + r.err;
  }

 private:
  std::string dir_, log_;
  bool up_ = false;
};

nlohmann::json only_result(const std::string& results) {
  for (const auto& e : fs::directory_iterator(results)) {
    const auto json = e.path() / "dgen.json";
    if (fs::exists(json)) return nlohmann::json::parse(dgen::test::read_file(json.string()));
  }
  return {};
}

class Slurm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new SlurmCluster("slurm-real", "real"); }
  static void TearDownTestSuite() {
    const std::string err = cluster_->stop();
    EXPECT_EQ(err, "") << "daemons left behind";
    delete cluster_;
  }
  void SetUp() override { ASSERT_TRUE(cluster_->up()) << cluster_->log(); }
  static SlurmCluster* cluster_;
};
SlurmCluster* Slurm::cluster_ = nullptr;

// slurm/dgen.sbatch with two tasks of one cpu, launched by `launcher`, results in
// <cluster>/<launcher>-results.
// OMP_NUM_THREADS=2 in the submitting shell (sbatch passes the environment on) must not
// double the threads of a one-cpu task.
std::string submit_two_tasks(const std::string& launcher) {
  return "OMP_NUM_THREADS=2 DGEN_LAUNCHER=" + launcher + " DGEN_RESULTS=$PWD/" + launcher +
         "-results DGEN_ARGS='--size 32MiB --iterations 2' timeout 180 sbatch --wait "
         "--ntasks-per-node=2 --cpus-per-task=1 --output=" +
         launcher + "-%j.out " + kSource + "/slurm/dgen.sbatch";
}

TEST_F(Slurm, BatchScriptWithSrun) {
  const auto r = cluster_->run(submit_two_tasks("srun"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string results = cluster_->dir() + "/srun-results";
  const auto j = only_result(results);
  ASSERT_FALSE(j.is_null()) << "no dgen.json under " << results;
  EXPECT_EQ(j["ranks"], 2);
  EXPECT_EQ(j["nodes"], 1);
  const std::string job = j["provenance"]["job_id"];
  for (const char* f : {"dgen.json", "plan.txt", "job.out", "job.err", "env.txt"}) {
    EXPECT_TRUE(fs::exists(results + "/" + job + "/" + f)) << f;
  }
  EXPECT_NE(dgen::test::read_file(results + "/" + job + "/env.txt").find("launcher=srun"),
            std::string::npos);
  for (const auto& k : j["per_rank"]) {
    EXPECT_GE(k["local_fraction"].get<double>(), 0.99);
    EXPECT_EQ(k["pages_unknown"], 0) << k;
    EXPECT_EQ(k["threads"], 1) << k;
  }
}

// Polls `command` until it prints something, for up to `seconds`.
bool wait_until(const SlurmCluster& c, const std::string& command, int seconds) {
  return dgen::test::poll_until([&] { return !c.run(command).out.empty(); }, seconds,
                                std::chrono::milliseconds(500));
}

// A job stopped by scancel (SIGCONT, SIGTERM, SIGKILL after KillWait): the report of what was
// done is there, whole, marked incomplete.
TEST_F(Slurm, ScancelLeavesAPartialReport) {
  const auto r = cluster_->run(
      "DGEN_RESULTS=$PWD/scancel-results DGEN_ARGS='--size 32MiB --iterations 999999 --progress' "
      "sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --output=scancel-%j.out " +
      kSource + "/slurm/dgen.sbatch");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string job = r.out.substr(0, r.out.find_first_of(";\n"));
  const std::string results = cluster_->dir() + "/scancel-results/" + job;
  // Cancelled once the job has done whole iterations: rank 0's progress line (in the job's
  // job.err) counts the job's bytes, and an iteration is three passes (generate and the two
  // baselines) of 32 MiB on each of the 2 ranks; past two iterations' bytes, the first is
  // complete on both ranks (every pass ends in an agreement).
  const double two_iterations = 2.0 * 3 * 2 * (32 << 20);
  const bool ran = dgen::test::poll_until(
      [&] {
        return dgen::test::progress_bytes(dgen::test::read_file(results + "/job.err")) >
               two_iterations;
      },
      120);
  cluster_->run("scancel " + job);  // also when the wait failed: no job outlives the test
  ASSERT_TRUE(ran) << dgen::test::read_file(results + "/job.err");
  ASSERT_TRUE(
      wait_until(*cluster_, "squeue -h -j " + job + " 2>/dev/null | grep -q . || echo gone", 60));
  ASSERT_TRUE(wait_until(*cluster_, "test -s " + results + "/dgen.json && echo ok", 30))
      << cluster_->run("cat " + results + "/job.err scancel-" + job + ".out").out;
  const auto j = nlohmann::json::parse(dgen::test::read_file(results + "/dgen.json"));
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  EXPECT_EQ(j["ranks"], 2);
  EXPECT_GE(j["iterations"].size(), 1u);
}

// The job's time limit (--time=1: one minute, SLURM's resolution) on a job that runs too
// long: SIGTERM at the limit, and the partial report is written.
TEST_F(Slurm, TimeLimitLeavesAPartialReport) {
  const auto r = cluster_->run(
      "DGEN_RESULTS=$PWD/timelimit-results DGEN_ARGS='--size 32MiB --iterations 999999' timeout "
      "240 sbatch --wait --parsable --time=1 --ntasks-per-node=2 --cpus-per-task=1 "
      "--output=timelimit-%j.out " +
      kSource + "/slurm/dgen.sbatch");
  EXPECT_NE(r.exit_code, 0) << "the job ran into its limit";
  const std::string job = r.out.substr(0, r.out.find_first_of(";\n"));
  ASSERT_FALSE(job.empty()) << r.out << r.err;
  const std::string results = cluster_->dir() + "/timelimit-results/" + job;
  ASSERT_TRUE(wait_until(*cluster_, "test -s " + results + "/dgen.json && echo ok", 30))
      << cluster_->run("cat " + results + "/job.err timelimit-" + job + ".out").out;
  const auto j = nlohmann::json::parse(dgen::test::read_file(results + "/dgen.json"));
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  EXPECT_GT(j["iterations"].size(), 100u) << "it ran for about a minute";
  const auto state =
      cluster_->run("sacct -n -X -j " + job + " -o State 2>/dev/null; scontrol show job " + job +
                    " 2>/dev/null | grep -o 'JobState=[A-Z]*'");
  EXPECT_NE(state.out.find("TIMEOUT"), std::string::npos) << state.out;
}

TEST_F(Slurm, BatchScriptWithMpirun) {
  const auto r = cluster_->run(submit_two_tasks("mpirun"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = only_result(cluster_->dir() + "/mpirun-results");
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["ranks"], 2);
  std::set<int> cpus;
  for (const auto& k : j["per_rank"]) cpus.insert(k["cpus"][0].get<int>());
  EXPECT_EQ(cpus.size(), 2u) << j["per_rank"];
}

// On one node the driver varies ranks x threads over the same cores, waits, and collects.
TEST_F(Slurm, ScalingDriverOnOneNodeMakesCsvAndPlot) {
  const auto r = cluster_->run("timeout 300 " + kSource +
                               "/slurm/scaling.sh --nodes 1 --layouts '1x2 2x1' --repeats 2 "
                               "--size 64MiB --study study --wait -- --iterations 2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string study = cluster_->dir() + "/study";
  std::istringstream csv(dgen::test::read_file(study + "/scaling.csv"));
  std::string header, row;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("job_id,nodes,ranks,ranks_per_node,threads_per_rank,cores,", 0), 0u)
      << header;
  int rows = 0;
  std::set<std::string> layouts;
  while (std::getline(csv, row)) {
    ++rows;
    std::istringstream fields(row);
    std::string job, nodes, ranks, rpn, tpr;
    std::getline(fields, job, ',');
    std::getline(fields, nodes, ',');
    std::getline(fields, ranks, ',');
    std::getline(fields, rpn, ',');
    std::getline(fields, tpr, ',');
    EXPECT_EQ(nodes, "1");
    layouts.insert(rpn + "x" + tpr);
  }
  EXPECT_EQ(rows, 4);
  EXPECT_EQ(layouts, (std::set<std::string>{"1x2", "2x1"}));
  const std::string png = dgen::test::read_file(study + "/scaling.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

// The node declared as an HBv5 (16 sockets x 23 cores) so that the script's default 16-task
// layout runs here; 16 ranks share this machine's cores.
TEST(SlurmHbv5Shape, DefaultLayoutRunsSixteenRanks) {
  SlurmCluster cluster("slurm-hbv5", "hbv5");
  ASSERT_TRUE(cluster.up()) << cluster.log();
  const auto r = cluster.run(
      "DGEN_RESULTS=$PWD/results DGEN_ARGS='--size 4MiB --iterations 1 --threads 1' timeout 300 "
      "sbatch --wait --output=hbv5-%j.out " +
      kSource + "/slurm/dgen.sbatch");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = only_result(cluster.dir() + "/results");
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["ranks"], 16);
  std::set<int> local;
  for (const auto& k : j["per_rank"]) local.insert(k["local_rank"].get<int>());
  EXPECT_EQ(local.size(), 16u);
  const std::string env = dgen::test::read_file(
      cluster.dir() + "/results/" + j["provenance"]["job_id"].get<std::string>() + "/env.txt");
  EXPECT_NE(env.find("tasks=16 tasks_per_node=16 cpus_per_task=23"), std::string::npos) << env;
  EXPECT_EQ(cluster.stop(), "");
}

}  // namespace
