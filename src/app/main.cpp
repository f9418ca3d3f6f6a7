// dgen_mpi: options -> plan -> buffer -> kernels -> reduce -> report. See README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/options.hpp"
#include "dgen/simd.hpp"
#include "dgen/version.hpp"
#include "mpi/driver.hpp"
#include "mpi/job.hpp"
#include "report/report.hpp"

namespace {

// Before MPI_Init the rank is known only from the launcher's environment; bad options are the
// same on every rank, so only rank 0 (or a plain process) prints them.
bool is_first_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v) == 0;
  }
  return true;
}

void print_simd_list() {
  std::printf("%-12s %s\n", "target", "supported by this CPU");
  const auto best = dgen::best_simd_target();
  for (const auto& t : dgen::compiled_simd_targets()) {
    std::printf("%-12s %s%s\n", t.name.c_str(), t.supported ? "yes" : "no",
                t.name == best.name ? "  (auto)" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  dgen::app::ParsedCommandLine cmd;
  try {
    cmd = dgen::app::parse_command_line(argc, argv);
  } catch (const std::exception& e) {
    if (is_first_rank()) std::fprintf(stderr, "dgen_mpi: %s\n", e.what());
    return 2;
  }
  switch (cmd.action) {
    case dgen::app::Action::kHelp:
      if (is_first_rank()) std::cout << dgen::app::help_text();
      return 0;
    case dgen::app::Action::kVersion:
      if (is_first_rank()) std::cout << "dgen_mpi " << dgen::version() << "\n";
      return 0;
    case dgen::app::Action::kListSimd:
      if (is_first_rank()) print_simd_list();
      return 0;
    case dgen::app::Action::kRun:
      break;
  }
  auto& o = cmd.options;
  if (!o.progress) o.progress = isatty(STDERR_FILENO) != 0;

  dgen::mpi::Job job(&argc, &argv);
  try {
    const dgen::report::Report report = dgen::mpi::run_job(job, o);
    if (job.rank() == 0) {
      // With the stream on stdout, the report goes to stderr.
      std::FILE* out = o.output && *o.output == "-" ? stderr : stdout;
      std::string text;
      switch (o.format) {
        case dgen::app::Format::kTable:
          text = dgen::report::render_table(report);
          break;
        case dgen::app::Format::kJson:
          text = dgen::report::to_json(report).dump(2) + "\n";
          break;
        case dgen::app::Format::kCsv:
          text = dgen::report::render_csv(report);
          break;
      }
      std::fputs(text.c_str(), out);
      std::fflush(out);
    }
  } catch (const dgen::mpi::JobFailure& e) {
    if (job.rank() == 0) std::fprintf(stderr, "dgen_mpi: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    dgen::mpi::abort_job(e.what());  // a failure the other ranks cannot know about: end the job
  }
  return 0;
}
