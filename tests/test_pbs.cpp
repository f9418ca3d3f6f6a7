// The jobs/ scripts as PBS runs them: no PBS server is packaged for Debian 12, so the batch
// script runs under bash with the environment PBS gives a job (PBS_NODEFILE, PBS_O_WORKDIR,
// PBS_JOBID, NCPUS) and launches for real; the scaling driver runs against a stand-in qsub
// that records what it is asked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "run_process.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::read_file;
using dgen::test::run_shell;

const std::string kSource = DGEN_SOURCE_DIR;

TEST(Pbs, BatchScriptRunsWithThePbsEnvironment) {
  const std::string work = dgen::test::temp_dir() + "/pbs-work";
  fs::create_directories(work);
  std::ofstream(work + "/nodefile") << "localhost\nlocalhost\n";  // mpiprocs=2 on one host
  // As PBS Pro does: OMP_NUM_THREADS = the chunk's ompthreads = its ncpus.
  const auto r =
      run_shell("cd / && OMP_NUM_THREADS=2 PBS_O_WORKDIR=" + work +
                " PBS_JOBID=42.pbs-server PBS_NODEFILE=" + work +
                "/nodefile NCPUS=2 DGEN_BIN=" + dgen::test::binary_under_test(DGEN_MPI_BINARY) +
                " DGEN_ARGS='--size 16MiB --iterations 2' timeout 120 bash " + kSource +
                "/jobs/dgen.pbs --seed 7");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string results = work + "/results/42.pbs-server";
  const auto j = nlohmann::json::parse(read_file(results + "/dgen.json"));
  EXPECT_EQ(j["ranks"], 2);
  EXPECT_EQ(j["spec"]["seed"], 7);
  EXPECT_EQ(j["bytes_per_rank"], 16 << 20);
  // ncpus / mpiprocs threads per rank, not the OMP_NUM_THREADS PBS set for the whole chunk.
  EXPECT_EQ(j["threads"], 1);
  for (const auto& k : j["per_rank"]) EXPECT_EQ(k["threads"], 1) << k;
  const std::string env = read_file(results + "/env.txt");
  EXPECT_NE(env.find("nodes=1 ranks=2 ranks_per_node=2 cpus_per_rank=1"), std::string::npos) << env;
  EXPECT_NE(env.find("mpirun --hostfile " + work +
                     "/nodefile -n 2 --map-by ppr:2:node:PE=1 --bind-to core"),
            std::string::npos)
      << env;
  EXPECT_TRUE(fs::exists(results + "/plan.txt"));
  EXPECT_NE(read_file(results + "/job.out").find("dgen.pbs: results in"), std::string::npos);
}

TEST(Pbs, ScalingDriverSubmitsEveryPointAndADependentCollector) {
  const std::string work = dgen::test::temp_dir() + "/pbs-scaling";
  fs::create_directories(work + "/bin");
  // A qsub that records its arguments and answers with job ids as PBS does.
  std::ofstream(work + "/bin/qsub") << "#!/bin/bash\n"
                                       "n=$(( $(wc -l < " +
                                           work +
                                           "/qsub.log 2>/dev/null || echo 0) + 1 ))\n"
                                           "printf '%s\\n' \"$*\" >> " +
                                           work +
                                           "/qsub.log\n"
                                           "echo \"$n.pbs-server\"\n";
  fs::permissions(work + "/bin/qsub", fs::perms::owner_all);
  const auto r = run_shell("cd " + work + " && PATH=" + work + "/bin:$PATH bash " + kSource +
                           "/jobs/scaling.sh --nodes '1 2 4' --layouts 16x23 --repeats 2 --strong "
                           "--size 64GiB --study study -- --dedup-ratio 2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string log = read_file(work + "/qsub.log");
  std::vector<std::string> lines;
  for (std::size_t a = 0, b; a < log.size(); a = b + 1)
    lines.push_back(log.substr(a, (b = log.find('\n', a)) - a));
  ASSERT_EQ(lines.size(), 7u) << log;  // 3 node counts x 2 repeats + the collector
  EXPECT_NE(lines[0].find("-l select=1:ncpus=368:mpiprocs=16"), std::string::npos) << lines[0];
  EXPECT_NE(lines[4].find("-l select=4:ncpus=368:mpiprocs=16"), std::string::npos) << lines[4];
  // Strong scaling: 64 GiB over 16, then 64 ranks.
  EXPECT_NE(lines[0].find("DGEN_ARGS=--size 4294967296 --dedup-ratio 2"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[4].find("DGEN_ARGS=--size 1073741824 --dedup-ratio 2"), std::string::npos)
      << lines[4];
  EXPECT_NE(lines[6].find("-W depend=afterany:1.pbs-server:2.pbs-server:3.pbs-server:4.pbs-server:"
                          "5.pbs-server:6.pbs-server"),
            std::string::npos)
      << lines[6];
  EXPECT_NE(lines[6].find("jobs/collect.pbs"), std::string::npos);
}

// The collector works on results copied off a cluster: here, the PBS job's directory.
TEST(Pbs, CollectorReadsResultsCopiedOffTheCluster) {
  const std::string study = dgen::test::temp_dir() + "/copied-study";
  fs::create_directories(study + "/7.server");
  const auto run = run_shell(std::string(DGEN_MPI_BINARY) + " --size 8MiB --format json > " +
                             study + "/7.server/dgen.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto r = run_shell("$(" + kSource + "/slurm/find-python.sh) " + kSource +
                           "/slurm/collect.py " + study);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string csv = read_file(study + "/scaling.csv");
  EXPECT_NE(csv.find("\n7.server,1,1,1,"), std::string::npos) << csv;
  EXPECT_TRUE(fs::exists(study + "/scaling.png"));
}

}  // namespace
