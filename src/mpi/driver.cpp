#include "mpi/driver.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/text.hpp"
#include "dgen/generator.hpp"
#include "dgen/size.hpp"
#include "io/backend.hpp"
#include "io/layout.hpp"
#include "mpi/modes.hpp"
#include "mpi/placement.hpp"
#include "mpi/reduce.hpp"
#include "mpi/team.hpp"
#include "report/fill.hpp"
#include "report/lists.hpp"
#include "report/provenance.hpp"
#include "verify/compare.hpp"
#include "verify/diagnose_file.hpp"

namespace dgen::mpi {

namespace {

// MPMD launches (`mpirun -n 1 dgen_mpi A : -n 1 dgen_mpi B`) give ranks their own command
// lines: rank 0's request is the job's, and a rank whose options differ is refused.
std::string compare_with_rank0(const Job& job, const RunRequest& req) {
  std::string mine;
  for (const auto& [name, value] : req.shared_options()) mine += name + '\n' + value + '\n';
  int len = static_cast<int>(mine.size());
  check(MPI_Bcast(&len, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  std::string first = job.rank() == 0 ? mine : std::string(static_cast<std::size_t>(len), '\0');
  check(MPI_Bcast(first.data(), len, MPI_CHAR, 0, job.world()), "MPI_Bcast");
  if (first == mine) return "";
  const std::vector<std::string> theirs = lines_of(first);
  const auto options = req.shared_options();
  for (std::size_t i = 0; i < options.size() && 2 * i + 1 < theirs.size(); ++i) {
    if (options[i].second != theirs[2 * i + 1]) {
      return options[i].first + " " + options[i].second + " differs from rank 0's " +
             theirs[2 * i + 1] + ": every rank of a job takes the same options";
    }
  }
  return "options differ from rank 0's: every rank of a job takes the same options";
}

// The job's stream must fit the generator's 2^64-byte stream.
std::string check_stream_length(const Job& job, const RunRequest& req) {
  if (io::stream_length(req.layout, job.size()) <= UINT64_MAX) return "";
  if (req.layout.kind == io::LayoutKind::kDataset) {
    return "--files " + std::to_string(req.layout.files) + " x --file-size " +
           format_size(req.layout.file_size) +
           ": the dataset would pass 2^64 bytes (16 EiB), the most one seed has";
  }
  return "--size " + format_size(req.size) + " x " + std::to_string(job.size()) +
         " ranks: the job's stream would pass 2^64 bytes (16 EiB), the most one seed has";
}

std::string page_warning(const report::RankResult& mine, const buffer::Locality& l,
                         const RankPlacement& place) {
  char text[400];
  if (!mine.local_fraction) {
    std::snprintf(text, sizeof text,
                  "page locality unknown: the kernel gave no node for any of the buffer's %llu "
                  "checked pages",
                  static_cast<unsigned long long>(l.unknown));
    return text;
  }
  if (*mine.local_fraction >= 0.99 && l.unknown == 0) return "";
  std::snprintf(text, sizeof text,
                "only %.1f%% of the buffer's pages are on the NUMA node of the thread that "
                "touched them (%llu remote, %llu unknown; meant for node(s) %s)",
                100.0 * *mine.local_fraction, static_cast<unsigned long long>(l.remote),
                static_cast<unsigned long long>(l.unknown),
                report::comma_list(place.plan.memory_nodes).c_str());
  return text;
}

// --verify, on rank 0: when the wrong ranges are this seed's stream, made with other data
// options, the sentence that says so (verify::diagnose_options reads the file again); `options`
// gets the options that fit.
std::string diagnose_options(const RunRequest& req, const report::Verify& v, std::string& options) {
  verify::WrongRanges wrong;
  for (const auto& m : v.mismatches) wrong.holds.push_back(m.holds);
  if (!v.mismatches.empty()) {
    wrong.file = v.mismatches.front().file;
    wrong.offset = v.mismatches.front().offset;
    wrong.file_offset = v.mismatches.front().file_offset;
  }
  return verify::diagnose_options(req.spec, wrong, options);
}

}  // namespace

// --verify: the ranks' findings summed, their first mismatches merged in stream order on rank
// 0, each named by its file. Collective; every rank learns the number of wrong bytes.
std::optional<report::Verify> reduce_verify(const Job& job, const RunRequest& req,
                                            const VerifyFindings& f) {
  report::Verify v;
  unsigned long long mine[4] = {f.bytes, f.wrong_bytes, f.wrong_blocks, f.missing_bytes},
                     all[4] = {};
  check(MPI_Allreduce(mine, all, 4, MPI_UNSIGNED_LONG_LONG, MPI_SUM, job.world()), "MPI_Allreduce");
  v.bytes = all[0];
  v.mismatched_bytes = all[1];
  v.mismatched_blocks = all[2];
  v.missing_bytes = all[3];
  double slowest = 0;
  check(MPI_Reduce(&f.seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, job.world()), "MPI_Reduce");
  v.compare_seconds = slowest;
  const auto pass = reduce_iterations(job, {f.pass});
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : f.first) {
    list.push_back({m.offset, m.length, m.holds, m.stream_offset ? *m.stream_offset : 0,
                    m.stream_offset.has_value(), m.constant, m.expected, m.found, m.file,
                    m.file_offset});
  }
  const auto lists = job.gather_strings(list.dump());
  if (job.rank() != 0) return v;
  v.seconds = pass.at(0).seconds;
  v.gbps = pass.at(0).aggregate_gbps;
  std::vector<verify::Mismatch> merged;
  for (const auto& text : lists) {
    for (const auto& x : nlohmann::json::parse(text)) {
      verify::Mismatch m;
      m.offset = x[0];
      m.length = x[1];
      m.holds = x[2];
      if (x[4].get<bool>()) m.stream_offset = x[3].get<std::uint64_t>();
      m.constant = x[5];
      m.expected = x[6];
      m.found = x[7];
      m.file = x[8];
      m.file_offset = x[9];
      m.uniform = m.holds == "zeros" || m.holds == "constant";
      m.value = m.holds == "zeros" ? 0 : m.constant;
      m.located = m.stream_offset;
      merged.push_back(m);
    }
  }
  for (const auto& m : verify::merge_mismatches(std::move(merged), req.max_mismatches)) {
    report::VerifyMismatch r;
    r.offset = m.offset;
    r.length = m.length;
    r.file = io::file_path(req.layout, m.file);
    r.file_offset = m.file_offset;
    r.holds = m.holds;
    r.stream_offset = m.stream_offset;
    if (m.constant >= 0) r.constant = m.constant;
    r.expected = m.expected;
    r.found = m.found;
    v.mismatches.push_back(r);
  }
  v.diagnosis = diagnose_options(req, v, v.other_options);
  return v;
}

report::Report run_job(const Job& job, const RunRequest& req) {
  report::Report rep;
  rep.provenance = report::local_provenance();
  rep.provenance.start_time = report::utc_now();
  rep.provenance.command_line = req.command_line;
  rep.provenance.host = job.host();

  job.agree(compare_with_rank0(job, req), 2);
  job.agree(check_stream_length(job, req), 2);

  // Every rank picks its kernel; a node without the asked-for target fails the job clearly.
  std::optional<Generator> gen;
  {
    std::string err;
    try {
      gen.emplace(req.spec, select_simd_target(req.simd));
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    job.agree(err, 2);
  }
  RankPlacement place;
  std::vector<std::string> warnings;
  {
    std::string err;
    try {
      place = place_this_rank(job, req, warnings);
    } catch (const std::exception& e) {
      err = e.what();
    }
    job.agree(err, 2);
  }
  // The team every pass runs on; the report shows the threads that really ran.
  Team team(place.threads(), [&place](int t) { pin_current_thread(place, t); });
  if (!team.shortfall().empty()) {
    warnings.push_back(team.shortfall());
    keep_threads(place, team.size());
  }

  const RankContext context{job,   req,  *gen,
                            place, team, static_cast<std::uint64_t>(job.rank()) * req.size};
  Measured m;
  if (req.analyze) {
    rep.mode = "analyze";
    rep.stores = "cached";
    report::Analyze analysis;
    m = run_analyze(context, analysis);
    rep.exit_code = m.exit_code;
    rep.provenance.io_component = m.io_component;
    if (job.rank() == 0) rep.analyze = analysis;
  } else if (req.output || req.input) {
    rep.mode = req.output ? "write" : "read";
    rep.stores = "cached";
    rep.output = req.output;
    rep.storage = report::storage_section(req, job.size());
    if (req.storage.reorder && job.nodes() == 1 && job.rank() == 0) {
      warnings.push_back(
          "--reorder on one node: every rank reads what it wrote (the shift is "
          "the ranks per node); drop the page cache or use --direct");
    }
    if (req.storage.reorder && job.nodes() > 1) {
      // IOR -C's shift assumes as many ranks on every node, mapped by block.
      const int fewest = job.combine(job.local_size(), MPI_MIN);
      const int most = job.combine(job.local_size(), MPI_MAX);
      if (fewest != most && job.rank() == 0) {
        warnings.push_back("--reorder: nodes have " + std::to_string(fewest) + " to " +
                           std::to_string(most) +
                           " ranks; the shift by the ranks per node may read a rank on the same "
                           "node or read some ranks' bytes twice");
      }
    }
    m = run_storage(context);
    rep.provenance.io_component = m.io_component;
    if (m.verify) rep.verify = reduce_verify(job, req, *m.verify);
    rep.latency = m.latency;
    rep.timeline = m.timeline;
    // Each --phases pass over the job, as an iteration is (mdtest's rates).
    for (const auto& [name, run] : m.phases) {
      const auto reduced = reduce_iterations(job, {run});
      if (job.rank() == 0) rep.phases.push_back({name, reduced.at(0)});
    }
  } else {
    rep.mode = "bench";
    m = run_bench(context, rep.stores);
  }
  if (team.fewest_threads() < team.size()) {
    warnings.push_back("a pass ran with " + std::to_string(team.fewest_threads()) + " of " +
                       std::to_string(team.size()) +
                       " threads (the others took its parts; the bytes are complete)");
  }
  const report::RankResult mine = rank_result(context, m);
  // Placement check: below 99% local pages, a warning; with --strict-placement, the job fails.
  std::string misplaced;
  if (m.locality) misplaced = page_warning(mine, *m.locality, place);
  if (!misplaced.empty()) warnings.push_back(misplaced);
  job.agree(req.strict_placement && !misplaced.empty() ? misplaced + " (--strict-placement)" : "",
            3);

  rep.iterations = reduce_iterations(job, m.runs);
  if (req.baseline && rep.mode == "bench") {
    report::Baseline b;
    b.memset_iterations = reduce_iterations(job, m.memset_runs);
    b.streaming_iterations = reduce_iterations(job, m.streaming_runs);
    rep.baseline = b;
  }
  std::string my_warnings;
  for (const auto& w : warnings) my_warnings += w + "\n";
  const auto all_warnings = job.gather_strings(my_warnings);
  // The rows travel as packed numbers, not as report text.
  const auto all_ranks = job.gather_strings(report::pack(mine));
  if (job.rank() != 0) {
    report::Report mine_only;  // what every rank needs to leave with the right exit code
    mine_only.complete = m.stop_signal == 0;
    mine_only.stop_signal = m.stop_signal;
    mine_only.verify = rep.verify;
    mine_only.output_state = m.output_state;
    mine_only.exit_code = rep.exit_code;
    return mine_only;
  }

  report::RunEnd end;
  end.ranks = job.size();
  end.nodes = job.nodes();
  end.simd = gen->simd().name;
  end.stop_signal = m.stop_signal;
  end.bytes_kept = m.bytes_kept;
  end.output_state = m.output_state;
  end.resume = m.resume;
  end.rank_rows = all_ranks;
  end.warning_blocks = all_warnings;
  report::finish(rep, req, end);
  return rep;
}

}  // namespace dgen::mpi
