// dgen_mpi: options -> plan -> buffer -> kernels -> reduce -> report. See README.md.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "app/options.hpp"
#include "app/report_target.hpp"
#include "app/request.hpp"
#include "dgen/simd.hpp"
#include "dgen/version.hpp"
#include "io/errors.hpp"
#include "io/watchdog.hpp"
#include "mpi/driver.hpp"
#include "mpi/job.hpp"
#include "mpi/stop_signal.hpp"
#include "mpi/storage_checks.hpp"
#include "report/plan_report.hpp"
#include "report/report.hpp"
#include "storage/report_file.hpp"
#include "topology/machine.hpp"
#include "topology/plan.hpp"

namespace {

// The rank as the launcher's environment tells it before MPI_Init (-1: no launcher).
int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return -1;
}

bool is_first_rank() { return launcher_rank() <= 0; }

// The I/O watchdog runs while the job does and stops before MPI_Finalize.
struct WatchdogGuard {
  ~WatchdogGuard() { dgen::io::stop_io_watchdog(); }
};

// Writes the whole report to `out`; the error text, empty when every byte went out.
std::string print_report(std::FILE* out, const std::string& text) {
  errno = 0;
  const bool ok = std::fputs(text.c_str(), out) >= 0 && std::fflush(out) == 0 && !std::ferror(out);
  return ok ? "" : std::strerror(errno != 0 ? errno : EIO);
}

void print_simd_list() {
  std::printf("%-12s %s\n", "target", "supported by this CPU");
  const auto best = dgen::best_simd_target();
  for (const auto& t : dgen::compiled_simd_targets()) {
    std::printf("%-12s %s%s\n", t.name.c_str(), t.supported ? "yes" : "no",
                t.name == best.name ? "  (auto)" : "");
  }
}

// --plan: no MPI, no allocation, no binding; this machine or an XML file.
int print_plan(const dgen::app::Options& o) {
  try {
    const auto machine = dgen::topology::load_machine(o.topology);
    dgen::topology::PlanRequest req = dgen::app::plan_request(o);  // the one a run uses
    req.ranks = o.plan_ranks.value_or(static_cast<int>(machine.domains.size()));
    const auto plans = dgen::topology::plan_node(machine, req);
    if (o.format == dgen::app::Format::kJson) {
      std::cout << dgen::report::plan_to_json(machine, req, plans).dump(2) << "\n";
    } else {
      std::cout << dgen::report::render_plan_table(machine, req, plans);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dgen_mpi: %s\n", e.what());
    return 2;
  }
  return 0;
}

// --timeout: a call stuck in storage is never at a synchronisation point, so a watchdog names
// it and ends the job.
void start_timeout_watchdog(dgen::mpi::Job& job, const std::string& limit, double seconds) {
  dgen::io::start_io_watchdog(seconds, [limit, seconds, &job](const std::string& what) {
    // A call that waits for other ranks (a collective MPI-IO call, an open or a close)
    // hangs on every rank when one of them is stopped or gone: the ranks of this node that
    // do not run are named, by the lowest running rank of the node only. The others leave
    // it a while to end the job before they speak themselves. So does a rank that sees no
    // stopped rank but got a stop signal: the job is being torn down, and the launcher
    // resumes a stopped rank (SIGCONT) as it sends SIGTERM, so what this rank sees is no
    // longer the cause. Otherwise each rank names its own stuck call at once.
    const bool waits_for_others =
        what.rfind("MPI_File_", 0) == 0 && what.rfind("MPI_File_write_at ", 0) != 0 &&
        what.rfind("MPI_File_read_at ", 0) != 0;  // collective: all but the independent calls
    bool speaker = true;
    std::string held = waits_for_others ? job.held_ranks(speaker) : std::string();
    if (!speaker && (!held.empty() || dgen::mpi::stop_signal() != 0)) {
      std::this_thread::sleep_for(std::chrono::duration<double>(std::max(seconds, 2.0)));
      held = job.held_ranks(speaker);  // still alive: the speaker did not end the job
    }
    // MPI_Abort from this thread ends the job; should it not return the process, this does.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::seconds(10));
      std::_Exit(dgen::mpi::kTimeoutExit);
    }).detach();
    const std::string cause = held.empty() ? what : held + " holds the other ranks: " + what;
    dgen::mpi::abort_job("--timeout " + limit + ": " + cause + "; ending the job",
                         dgen::mpi::kTimeoutExit);
  });
}

// Rank 0: the report (to --report, else stdout, or stderr beside a stream on stdout), the
// --timeline CSV, and the note of an interrupted run; 1 when the report or timeline failed.
int write_report(const dgen::app::Options& o, const dgen::report::Report& report) {
  int report_failed = 0;
  const std::string text = dgen::report::render(report, o.format);
  if (o.report) {
    if (const std::string err = dgen::storage::write_whole_file(*o.report, text); !err.empty()) {
      std::fprintf(stderr, "dgen_mpi: --report %s: %s\n", o.report->c_str(), err.c_str());
      report_failed = 1;
    }
  } else {
    // With the stream on stdout, the report goes to stderr.
    const bool to_stderr = o.output && *o.output == "-";
    if (const std::string err = print_report(to_stderr ? stderr : stdout, text); !err.empty()) {
      std::fprintf(stderr, "dgen_mpi: cannot write the report to %s: %s\n",
                   to_stderr ? "stderr" : "stdout", err.c_str());
      report_failed = 1;
    }
  }
  if (o.timeline) {
    // The bandwidth over time as CSV, whole or not at all.
    if (const std::string err =
            dgen::storage::write_whole_file(*o.timeline, dgen::report::render_timeline_csv(report));
        !err.empty()) {
      std::fprintf(stderr, "dgen_mpi: --timeline %s: %s\n", o.timeline->c_str(), err.c_str());
      report_failed = 1;
    }
  }
  if (!report.complete) {
    const std::string state =
        report.output_state ? "; " + report.output_state->text : std::string();
    std::fprintf(stderr, "dgen_mpi: interrupted by signal %d: the report covers what was done%s\n",
                 report.stop_signal, state.c_str());
    std::fflush(stderr);
  }
  return report_failed;
}

}  // namespace

int main(int argc, char** argv) {
  dgen::app::ParsedCommandLine cmd;
  std::string usage_error;
  try {
    cmd = dgen::app::parse_command_line(argc, argv);
  } catch (const std::exception& e) {
    usage_error = e.what();
  }
  if (!usage_error.empty() && launcher_rank() < 0) {
    // A plain process: say it and stop, without starting MPI.
    std::fprintf(stderr, "dgen_mpi: %s\n", usage_error.c_str());
    return 2;
  }
  switch (usage_error.empty() ? cmd.action : dgen::app::Action::kRun) {
    case dgen::app::Action::kHelp:
      if (is_first_rank()) std::cout << dgen::app::help_text();
      return 0;
    case dgen::app::Action::kVersion:
      if (is_first_rank()) std::cout << "dgen_mpi " << dgen::version() << "\n";
      return 0;
    case dgen::app::Action::kListSimd:
      if (is_first_rank()) print_simd_list();
      return 0;
    case dgen::app::Action::kPlan:
      return is_first_rank() ? print_plan(cmd.options) : 0;
    case dgen::app::Action::kRun:
      break;
  }
  auto& o = cmd.options;
  if (!o.progress) o.progress = isatty(STDERR_FILENO) != 0;
  if (std::getenv("HWLOC_XMLFILE") != nullptr) {
    // hwloc would plan and bind this run on the machine the file describes, not this one.
    if (is_first_rank()) {
      std::fprintf(stderr,
                   "dgen_mpi: warning: HWLOC_XMLFILE is ignored by a real run "
                   "(use --plan --topology FILE to plan another machine)\n");
    }
    unsetenv("HWLOC_XMLFILE");
  }

  // Before MPI_Init, which can take a second under load: a SIGTERM or Ctrl-C that comes while
  // the job starts is a stop request too, not a death without a report.
  dgen::mpi::install_stop_signals(is_first_rank());
  dgen::mpi::Job job(&argc, &argv);
  WatchdogGuard watchdog;
  try {
    // Under a launcher the ranks' arguments may differ (MPMD): agree on bad input first, so
    // the job stops with one message whichever rank has it.
    job.agree(usage_error, 2);
    dgen::mpi::RunRequest built = dgen::app::run_request(o);
    built.layout.ranks = job.size();  // whose file is whose, with --unique-dir
    if (!o.output && built.layout.unique_dirs &&
        built.layout.kind == dgen::io::LayoutKind::kDataset)
      job.agree(dgen::mpi::find_unique_dir_writers(job, built.storage.io, built.layout),
                dgen::io::kUsageExit);
    const dgen::mpi::RunRequest& request = built;
    job.set_timeout(request.timeout_seconds);
    // A call stuck in storage is never at a synchronisation point: the watchdog names it.
    if (request.timeout_seconds > 0)
      start_timeout_watchdog(job, o.timeout_text, request.timeout_seconds);
    // The report never replaces the data, and its place is known to take it before the run.
    std::string report_err;
    if (job.rank() == 0 && o.report)
      report_err = dgen::app::report_problem("--report", *o.report, request, job.size());
    if (job.rank() == 0 && o.timeline && report_err.empty()) {
      report_err = dgen::app::report_problem("--timeline", *o.timeline, request, job.size(),
                                             o.report.value_or(""));
    }
    job.agree(report_err, dgen::io::kUsageExit);
    const dgen::report::Report report = dgen::mpi::run_job(job, request);
    int report_failed = job.rank() == 0 ? write_report(o, report) : 0;
    dgen::mpi::run_finished();
    dgen::mpi::check(MPI_Bcast(&report_failed, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
    if (report_failed && report.complete) {
      job.barrier();
      return dgen::io::kIoExit;
    }
    if (!report.complete) {
      // Every rank leaves with 128 + signal, after rank 0 has printed.
      job.barrier();
      return 128 + report.stop_signal;
    }
    if (report.verify && report.verify->mismatched_bytes > 0) {
      if (job.rank() == 0) {
        std::fprintf(stderr,
                     "dgen_mpi: --verify: %llu bytes differ from the stream, in %llu blocks of "
                     "4 KiB%s (the report lists the first)\n",
                     static_cast<unsigned long long>(report.verify->mismatched_bytes),
                     static_cast<unsigned long long>(report.verify->mismatched_blocks),
                     report.verify->missing_bytes > 0
                         ? (", " + std::to_string(report.verify->missing_bytes) +
                            " of them missing (files missing or short)")
                               .c_str()
                         : "");
        std::fflush(stderr);
      }
      job.barrier();
      return 1;
    }
    if (report.exit_code != 0) {
      // --analyze skipped what it could not read: the report covers the rest, and the exit
      // code says that something was left out (the first path's error decides it).
      if (job.rank() == 0 && report.analyze) {
        const auto& a = *report.analyze;
        std::string first;
        if (!a.unreadable_first.empty())
          first = ", the first " + a.unreadable_first[0].path + ": " + a.unreadable_first[0].error;
        std::fprintf(stderr,
                     "dgen_mpi: --analyze: %llu %s could not be read and %s skipped%s; the report "
                     "covers the rest\n",
                     static_cast<unsigned long long>(a.unreadable),
                     a.unreadable == 1 ? "path" : "paths", a.unreadable == 1 ? "was" : "were",
                     first.c_str());
        std::fflush(stderr);
      }
      job.barrier();
      return report.exit_code;
    }
  } catch (const dgen::mpi::JobFailure& e) {
    dgen::mpi::run_finished();
    dgen::io::stop_io_watchdog();
    if (job.rank() == 0) {
      std::fprintf(stderr, "dgen_mpi: %s\n", e.what());
      std::fflush(stderr);
    }
    // Nobody exits before rank 0 has said why: mpirun stops the job at the first non-zero
    // exit and may drop output it has not forwarded yet.
    job.barrier();
    return e.exit_code();
  } catch (const std::exception& e) {
    dgen::mpi::abort_job(e.what());  // a failure the other ranks cannot know about: end the job
  }
  return 0;
}
