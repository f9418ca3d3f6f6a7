#include "mpi/driver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "dgen/generator.hpp"
#include "dgen/size.hpp"
#include "io/layout.hpp"
#include "mpi/modes.hpp"
#include "mpi/placement.hpp"
#include "mpi/reduce.hpp"
#include "mpi/team.hpp"
#include "report/lists.hpp"
#include "report/provenance.hpp"
#include "verify/compare.hpp"
#include "verify/diagnose.hpp"

namespace dgen::mpi {

namespace {

// "a\nb\n" -> {"a", "b"}; a last line without '\n' counts too.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t a = 0, b; a < text.size(); a = b + 1) {
    b = std::min(text.find('\n', a), text.size());
    lines.push_back(text.substr(a, b - a));
  }
  return lines;
}

// Rank 0: every rank's warnings (blocks of lines, in rank order) with identical ones merged,
// in the order they first came: "rank 3 (host): ..." for one rank, "ranks 0-127 (host): ..."
// for several on one host, "ranks 0-127 (4 hosts): ..." across hosts.
std::vector<std::string> merged_warnings(const std::vector<std::string>& blocks,
                                         const std::vector<report::RankResult>& ranks) {
  std::vector<std::string> texts;
  std::vector<std::vector<int>> from;
  for (std::size_t r = 0; r < blocks.size(); ++r) {
    for (auto& line : lines_of(blocks[r])) {
      const auto at = std::find(texts.begin(), texts.end(), line);
      const std::size_t i = static_cast<std::size_t>(at - texts.begin());
      if (at == texts.end()) {
        texts.push_back(line);
        from.emplace_back();
      }
      if (from[i].empty() || from[i].back() != static_cast<int>(r))
        from[i].push_back(static_cast<int>(r));
    }
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::vector<std::string> hosts;
    for (int r : from[i]) {
      const std::string host =
          r < static_cast<int>(ranks.size()) ? ranks[static_cast<std::size_t>(r)].host : "?";
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    }
    std::string who = from[i].size() == 1 ? "rank " : "ranks ";
    for (const char c : report::range_list(from[i]))
      who += c == ',' ? std::string(", ") : std::string(1, c);
    who +=
        hosts.size() == 1 ? " (" + hosts[0] + ")" : " (" + std::to_string(hosts.size()) + " hosts)";
    out.push_back(who + ": " + texts[i]);
  }
  return out;
}

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

report::Storage storage_of(const Job& job, const RunRequest& req) {
  report::Storage s;
  s.path = req.layout.path;
  s.layout = io::to_string(req.layout.kind);
  s.files = io::file_count(req.layout, job.size());
  s.file_size = req.layout.kind == io::LayoutKind::kDataset ? req.layout.file_size
                : req.layout.kind == io::LayoutKind::kFilePerRank
                    ? req.size
                    : req.size * static_cast<std::uint64_t>(job.size());
  if (req.layout.kind == io::LayoutKind::kDataset) s.files_per_dir = req.layout.files_per_dir;
  s.io = req.storage.io;
  s.iodepth = req.storage.iodepth;
  if (auto c = req.storage.engine_options.find("collective"); c != req.storage.engine_options.end())
    s.collective = c->second == "on";
  s.transfer = req.storage.transfer;
  s.direct = req.storage.direct;
  s.fsync = req.output && req.storage.fsync;
  s.in_place = req.storage.in_place;
  s.reorder = req.storage.reorder;
  s.pattern = io::to_string(req.storage.pattern);
  if (req.storage.pattern == io::Pattern::kRandom) s.order_seed = req.storage.order_seed;
  if (req.storage.pattern == io::Pattern::kStrided) {
    s.segments = req.layout.segments;
    s.block = req.layout.block;
  }
  if (req.storage.duration > 0) s.duration = req.storage.duration;
  s.wear_out = req.storage.wear_out;
  s.unique_dir = req.layout.kind == io::LayoutKind::kDataset && req.layout.unique_dirs;
  s.verify = req.verify;
  s.resume = req.storage.resume;
  s.phases = req.storage.phases;
  return s;
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
// options (written with --dedup-ratio 2, checked with 3: range after range holds "the stream's
// bytes from offset X"), the first wrong range is read again and the options that regenerate it
// are searched (verify::find_data_options). Returns the sentence, empty when the ranges hold
// something else; `options` gets the options that fit.
std::string diagnose_options(const RunRequest& req, const report::Verify& v, std::string& options) {
  if (v.mismatches.empty() || v.mismatches.front().holds == "beyond the stream" ||
      v.mismatches.front().holds == "missing" || v.mismatches.front().holds == "truncated")
    return "";
  std::size_t stream = 0;
  for (const auto& m : v.mismatches) stream += m.holds == "stream" ? 1 : 0;
  const report::VerifyMismatch& first = v.mismatches.front();
  // Samples of the file that holds the first wrong byte: its first wrong range's 4 KiB block of
  // the stream, and three more spread over the file (they pin the dedup ratio), 64 KiB each.
  const int fd = open(first.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st {};
  const std::uint64_t file_size = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  const std::uint64_t file_start = first.offset - first.file_offset;  // its stream offset
  constexpr std::size_t kSample = 64 << 10;
  std::vector<std::uint64_t> at_file{
      first.file_offset - std::min<std::uint64_t>(first.offset % 4096, first.file_offset)};
  for (int k = 1; k <= 3 && file_size > 4 * kSample; ++k)
    at_file.push_back((file_size * static_cast<std::uint64_t>(k) / 4) & ~std::uint64_t{4095});
  std::vector<std::vector<std::byte>> held;
  std::vector<verify::Sample> samples;
  for (const std::uint64_t f : at_file) {
    std::vector<std::byte> bytes(kSample);
    const ssize_t got = pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(f));
    const std::uint64_t stream_at = file_start + f;
    const std::uint64_t shift = (16 - stream_at % 16) % 16;  // lanes start on multiples of 16
    if (got <= static_cast<ssize_t>(shift + 16)) continue;
    held.push_back(std::move(bytes));
    samples.push_back(
        {held.back().data() + shift, static_cast<std::size_t>(got) - shift, stream_at + shift});
  }
  close(fd);
  if (samples.empty() ||
      !verify::carries_stream_of(req.spec.seed, samples[0].bytes, samples[0].size))
    return "";  // foreign bytes: nothing to say about the options
  const auto found = verify::find_data_options(req.spec, samples);
  if (found) {
    options = verify::differing_options(req.spec, *found);
    return "the wrong bytes are this seed's stream made with other data options: the file's "
           "bytes are the stream of " +
           options + " (verify with those options)";
  }
  if (2 * stream >= v.mismatches.size()) {
    return "most wrong ranges hold this seed's stream from other offsets: misdirected or stale "
           "writes, or data options that differ from the write's (no other options regenerate "
           "the first wrong range)";
  }
  return "";
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
    rep.storage = storage_of(job, req);
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
  const auto all_ranks = job.gather_strings(nlohmann::json(mine).dump());
  if (job.rank() != 0) {
    report::Report mine_only;  // what every rank needs to leave with the right exit code
    mine_only.complete = m.stop_signal == 0;
    mine_only.stop_signal = m.stop_signal;
    mine_only.verify = rep.verify;
    mine_only.output_state = m.output_state;
    mine_only.exit_code = rep.exit_code;
    return mine_only;
  }

  rep.spec = req.spec;
  rep.bytes_per_rank =
      rep.analyze ? rep.analyze->bytes / static_cast<std::uint64_t>(job.size())
      : req.layout.kind == io::LayoutKind::kDataset && rep.storage
          ? io::rank_bytes(req.layout, job.size() - 1, job.size())  // the largest block
          : req.size;
  rep.total_bytes = rep.analyze ? rep.analyze->bytes
                    : rep.storage
                        ? static_cast<std::uint64_t>(io::stream_length(req.layout, job.size()))
                        : req.size * static_cast<std::uint64_t>(job.size());
  rep.ranks = job.size();
  rep.nodes = job.nodes();
  rep.simd = gen->simd().name;
  rep.stop_signal = m.stop_signal;
  rep.complete = m.stop_signal == 0;
  if (!rep.complete && req.output &&
      (req.keep_partial || req.layout.kind == io::LayoutKind::kDataset || m.bytes_kept > 0))
    rep.bytes_kept = m.bytes_kept;
  rep.output_state = m.output_state;
  rep.resume = m.resume;
  for (const auto& text : all_ranks)
    rep.per_rank.push_back(nlohmann::json::parse(text).get<report::RankResult>());
  for (const auto& k : rep.per_rank) {
    rep.threads = std::max(rep.threads, k.threads);
    rep.first_touch_seconds = std::max(rep.first_touch_seconds, k.first_touch_seconds);
    if (k.simd != rep.simd) rep.simd = "mixed";
    rep.oversubscribed = rep.oversubscribed || k.oversubscribed;
  }
  // One line per distinct warning, with the ranks that gave it (not one per rank).
  rep.warnings = merged_warnings(all_warnings, rep.per_rank);
  std::vector<double> rates;
  for (const auto& it : rep.iterations) {
    if (it.complete) rates.push_back(it.aggregate_gbps);
  }
  rep.summary = report::statistics_of(rates);
  if (rep.storage && req.layout.kind == io::LayoutKind::kDataset) {
    std::vector<double> files;
    for (const auto& it : rep.iterations) {
      if (it.complete) files.push_back(it.files_per_second);
    }
    rep.files_summary = report::statistics_of(files);
  }
  if (rep.baseline) {
    report::Baseline& b = *rep.baseline;
    for (const auto& it : b.memset_iterations)
      b.memset_gbps = std::max(b.memset_gbps, it.aggregate_gbps);
    for (const auto& it : b.streaming_iterations)
      b.streaming_gbps = std::max(b.streaming_gbps, it.aggregate_gbps);
    b.kind = b.streaming_gbps > b.memset_gbps ? "streaming" : "memset";
    b.aggregate_gbps = std::max(b.memset_gbps, b.streaming_gbps);
    b.ratio = b.aggregate_gbps > 0 ? rep.summary.max / b.aggregate_gbps : 0;
    for (auto& k : rep.per_rank) k.baseline_gbps = std::max(k.memset_gbps, k.streaming_gbps);
  }
  return rep;
}

}  // namespace dgen::mpi
