// Write and read modes: the rank's share of the stream to or from files, in any layout
// (io/layout.hpp), through a backend (io/backend.hpp). This file orders the steps and the
// agreements: the checks before a byte moves (storage_checks.hpp), the output file and what a
// write may replace (output_file.hpp), the buffers and queues, the passes (storage_pass.hpp:
// per iteration; with --duration the stonewall and --wear-out; a dataset's --phases), the
// read-back of --verify, and what the run leaves, named as it is.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "dgen/size.hpp"
#include "io/backend.hpp"
#include "io/direct.hpp"
#include "io/errors.hpp"
#include "io/layout.hpp"
#include "io/partials.hpp"
#include "io/queue.hpp"
#include "mpi/latency_reduce.hpp"
#include "mpi/modes.hpp"
#include "mpi/output_file.hpp"
#include "mpi/placement.hpp"
#include "mpi/stop_signal.hpp"
#include "mpi/storage_checks.hpp"
#include "mpi/storage_pass.hpp"
#include "mpi/timeline_gather.hpp"
#include "storage/file_facts.hpp"
#include "storage/on_disk.hpp"
#include "verify/compare.hpp"
#include "verify/decode.hpp"

namespace dgen::mpi {

namespace {

using storage::FileFact;
using storage::list_files;

// What a dataset holds after a stop or failure: its whole files (counted on disk when the
// pass could not count them), on rank 0; `rest`: what became of the others. Collective.
report::OutputState dataset_state(const Share& s, bool complete, std::uint64_t files_kept,
                                  const std::string& rest) {
  const Job& job = s.c.job;
  const io::Layout& layout = s.c.request.layout;
  std::uint64_t total = 0;
  check(MPI_Reduce(&files_kept, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
  report::OutputState o;
  o.path = layout.path;
  o.files = total;
  o.bytes = total * layout.file_size;
  const bool all = total == layout.files;
  o.state = all || complete ? "complete" : "files";
  o.text = all ? layout.path + " holds all " + std::to_string(total) + " files"
               : layout.path + " keeps " + std::to_string(total) + " of " +
                     std::to_string(layout.files) + " files, each whole (renamed when complete)" +
                     (rest.empty() ? "" : "; " + rest);
  return o;
}

// The fields of `text`, joined by NUL (which no path has).
std::vector<std::string> nul_fields(const std::string& text) {
  std::vector<std::string> f;
  for (std::size_t at = 0;;) {
    const std::size_t end = text.find('\0', at);
    f.push_back(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) return f;
    at = end + 1;
  }
}

// Collective: every rank's own file (a shared file: rank 0's, whose `holds` is the sum over the
// ranks), on rank 0 in rank order; elsewhere empty. Names are joined by NUL, which no path has.
std::vector<FileFact> gather_files(const Job& job, const io::Namespace& names,
                                   const OutputFile& out, bool per_rank, std::uint64_t holds) {
  std::uint64_t total = holds;
  if (!per_rank)
    check(MPI_Reduce(&holds, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
  std::string mine;
  if (per_rank || job.rank() == 0) {
    const OutputState o = out.state();
    const char nul = '\0';
    mine = o.state + nul + o.path + nul + o.text + nul +
           std::to_string(storage::length_on_disk(names, o.path)) + nul + std::to_string(total);
  }
  std::vector<FileFact> out_files;
  for (const std::string& one : job.gather_strings(mine)) {
    if (one.empty()) continue;
    const std::vector<std::string> f = nul_fields(one);
    if (f.size() != 5) continue;
    out_files.push_back({f[0], f[1], f[2], std::stoull(f[3]), std::stoull(f[4])});
  }
  return out_files;
}

// The report's file_lengths: every file, its length and the stream bytes it holds.
std::vector<report::FileLength> file_lengths(const std::vector<FileFact>& files) {
  std::vector<report::FileLength> out;
  for (const FileFact& f : files) {
    if (f.state == "complete" || f.state == "partial" || f.state == "cut")
      out.push_back({f.name, f.length, f.holds});
  }
  return out;
}

// The kept temporary files of a failed dataset write (Share::kept_partials), on rank 0.
std::vector<FileFact> gather_dataset_partials(const Job& job, const Share& s) {
  std::string mine;
  for (const std::string& name : s.kept_partials.names()) {
    mine += (mine.empty() ? "" : std::string(1, '\0')) + name + '\0' +
            std::to_string(storage::length_on_disk(s.backend.names(), name));
  }
  std::vector<FileFact> files;
  for (const std::string& one : job.gather_strings(mine)) {
    if (one.empty()) continue;
    const std::vector<std::string> f = nul_fields(one);  // name, length, name, length, ...
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
      FileFact fact;
      fact.state = "partial";
      fact.name = f[i];
      fact.length = std::stoull(f[i + 1]);
      files.push_back(fact);
    }
  }
  return files;
}

// --verify: a file longer than the stream gives it holds bytes that are not the stream's; a file
// missing or short lacks the stream's bytes from where it ends. Both are findings.
void note_file_lengths(Share& s, const std::vector<storage::LongerFile>& longer,
                       const std::vector<verify::Mismatch>& missing) {
  const io::Layout& layout = s.c.request.layout;
  for (const storage::LongerFile& f : longer) {
    verify::Mismatch m;
    // The stream offset where the file's bytes end: its extra bytes follow.
    m.offset = layout.kind == io::LayoutKind::kDataset ? (f.file + 1) * layout.file_size
               : layout.kind == io::LayoutKind::kFilePerRank
                   ? (f.file + 1) * layout.size_per_rank
                   : static_cast<std::uint64_t>(io::stream_length(layout, s.c.job.size()));
    m.length = f.found - f.expected;
    m.holds = "beyond the stream";
    m.file = f.file;
    m.file_offset = f.expected;
    s.found.wrong_bytes += m.length;
    s.found.wrong_blocks += (m.length + 4095) / 4096;
    s.found.ranges += 1;
    s.found.first.push_back(m);
  }
  for (const verify::Mismatch& m : missing) {
    s.found.wrong_bytes += m.length;
    s.found.missing_bytes += m.length;
    // The 4 KiB blocks of the stream the range touches.
    s.found.wrong_blocks += (m.offset + m.length - 1) / 4096 - m.offset / 4096 + 1;
    s.found.ranges += 1;
    s.found.first.push_back(m);
  }
  s.found.first = verify::merge_mismatches(std::move(s.found.first), s.keep_mismatches);
}

// --resume of one file: rank 0 (or every rank for its own file) picks what to continue: the
// newest partial file of the job's seed, or the target itself when it is the seed's stream
// (repaired in place), or nothing (a fresh write). Collective for a shared file.
void choose_resume(const RankContext& c, const std::string& target, std::uint64_t length,
                   OutputRules& rules, std::string& from) {
  const bool owner = rules.per_rank || c.job.rank() == 0;
  int in_place = 0;
  if (owner && !rules.in_place) {
    const auto partials = io::find_partials(target, rules.seed, length);
    if (!partials.empty()) {
      rules.resume_from = partials.front();
      from = partials.front();
    } else if (io::inspect_target(target).kind == io::TargetKind::kRegular &&
               io::replace_problem("--output", target, rules.seed, rules.same_stream).empty()) {
      in_place = 1;
    }
  } else if (owner) {
    in_place = 1;  // --in-place --resume: the target is repaired where it stands
  }
  if (!rules.per_rank) check(MPI_Bcast(&in_place, 1, MPI_INT, 0, c.job.world()), "MPI_Bcast");
  if (in_place) {
    rules.in_place = true;
    rules.resume_in_place = true;
    from = target;
  }
}

// --duration: what the rank had moved at the wall (IOR's stonewall figures), and with
// --wear-out every thread goes on to the largest count any rank's same thread reached, so that
// every rank holds the same transfers; the time that takes is the wear-out's.
template <class Pass>
void stonewall(Share& s, Interval& run, bool wear_out, report::Progress& progress,
               const Pass& pass) {
  const Job& job = s.c.job;
  run.stonewalled = true;
  run.wall = s.c.request.storage.duration;
  run.wall_moved = 0;
  for (std::uint64_t moved : s.moved) run.wall_moved += moved;
  run.wall_bytes = run.bytes;
  // IOR's stonewall time: from the pass's common start to the rank's last completion. A rank
  // that moved all its share before the wall never reached it: its time is what it took.
  const double origin = s.deadline - run.wall;
  double last = origin;
  for (double d : s.last_done) last = std::max(last, d);
  // A file system that filled first (run.full, agreed) stopped the ranks before the wall.
  run.wall_reached = run.bytes < s.bytes && stop_signal() == 0 && !run.full;
  run.notice_seconds = run.wall_reached ? std::max(last, s.deadline) - s.deadline : 0;
  run.wall_seconds = (run.wall_reached ? std::max(last, s.deadline) : last) - origin;
  run.complete = stop_signal() == 0;  // stopped at the wall as asked
  if (!wear_out || !s.write) return;
  const int threads = static_cast<int>(s.moved.size());
  const int width = job.combine(threads, MPI_MAX);
  std::vector<std::uint64_t> mine(static_cast<std::size_t>(width), 0), most(mine.size(), 0);
  std::copy(s.moved.begin(), s.moved.end(), mine.begin());
  check(MPI_Allreduce(mine.data(), most.data(), width, MPI_UINT64_T, MPI_MAX, job.world()),
        "MPI_Allreduce");
  s.first.assign(s.moved.begin(), s.moved.end());
  s.limit.assign(most.begin(), most.begin() + threads);
  const std::vector<std::uint64_t> before = s.moved;
  const double deadline = s.deadline;
  s.deadline = 0;
  job.sync();
  const Interval more = pass(progress);
  s.deadline = deadline;
  s.first.clear();
  s.limit.clear();
  for (std::size_t t = 0; t < s.moved.size() && t < before.size(); ++t) s.moved[t] += before[t];
  run.wear_out_seconds = more.seconds();
  run.end = more.end;
  run.bytes += more.bytes;
  run.files += more.files;
  run.io_seconds += more.io_seconds;
  run.generate_seconds += more.generate_seconds;
  run.flush_seconds += more.flush_seconds;
  run.close_seconds += more.close_seconds;
}

// Collective: what every thread of every rank moved in the last pass (transfers, a dataset's
// files), rank by rank, each row as wide as the largest team.
std::vector<std::uint64_t> gather_moved(const Share& s) {
  const Job& job = s.c.job;
  const int width = job.combine(static_cast<int>(s.moved.size()), MPI_MAX);
  std::vector<std::uint64_t> mine(static_cast<std::size_t>(width), 0);
  std::copy(s.moved.begin(), s.moved.end(), mine.begin());
  std::vector<std::uint64_t> all(mine.size() * static_cast<std::size_t>(job.size()));
  check(
      MPI_Allgather(mine.data(), width, MPI_UINT64_T, all.data(), width, MPI_UINT64_T, job.world()),
      "MPI_Allgather");
  return all;
}

// Collective, at the end: the job's latency per operation (histograms merged by their bucket
// counts) and its bytes over time (every rank's row), on rank 0.
void keep_the_records(Share& s, Measured& m) {
  const Job& job = s.c.job;
  // Each phase's operations apart (a create's opens are not a read's): named "op" when one
  // phase recorded latencies, "phase/op" when several did. Every rank ran the same phases in
  // the same order, so the reductions pair up.
  std::vector<report::Latency> all;
  std::set<std::string> phases;
  for (const auto& [phase, histograms] : s.latency) {
    for (int op = 0; op < kOps; ++op) {
      const report::LatencyHistogram h = reduce_histogram(job, histograms[op]);
      if (job.rank() != 0 || h.count() == 0) continue;
      all.push_back(report::summarize(op_name(op), h));
      all.back().phase = phase;
      phases.insert(phase);
    }
  }
  for (report::Latency& l : all) {
    if (phases.size() > 1) l.op = l.phase + "/" + l.op;
    m.latency.push_back(std::move(l));
  }
  if (!s.timeline) s.timeline.emplace(s.interval, s.timeline_start);
  const auto rows = gather_timelines(job, *s.timeline);
  if (job.rank() == 0) m.timeline = report::Timelines{s.interval, rows};
}

// A dataset's --phases after its write (or, with --input, its read): stat, read (with
// --verify, the read-back compares), delete; each timed over the job as mdtest does.
void run_phases(Share& s, Measured& m, bool wrote, report::Progress& progress) {
  const Job& job = s.c.job;
  const RunRequest& req = s.c.request;
  const auto& phases = req.storage.phases;
  auto asked = [&](const char* p) {
    return std::find(phases.begin(), phases.end(), p) != phases.end();
  };
  if (wrote && asked("create") && !m.runs.empty()) m.phases.push_back({"create", m.runs.back()});
  for (const std::string& phase : phases) {
    if (phase == "create") continue;
    if (phase == "read" && !wrote) {
      if (!m.runs.empty()) m.phases.push_back({"read", m.runs.back()});
      continue;
    }
    job.sync();
    job.set_phase(phase);
    s.phase = phase;
    if (phase == "stat") {
      m.phases.push_back({"stat", stat_pass(s)});
    } else if (phase == "read") {
      s.write = false;
      s.deadline = 0;
      std::uint64_t unused = 0;
      s.found.pass = dataset_pass(s, progress, unused);
      m.phases.push_back({"read", s.found.pass});
      if (s.decoder != nullptr) m.verify = s.found;
    } else if (phase == "delete") {
      const Interval run = delete_pass(s);
      m.phases.push_back({"delete", run});
      // A stop cuts the phase short: the files it did not reach stay, whole.
      std::uint64_t mine = run.files, removed = 0;
      check(MPI_Reduce(&mine, &removed, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
      if (m.output_state && job.rank() == 0) {
        const std::uint64_t had = m.output_state->files.value_or(0);
        if (removed >= had) {
          m.output_state->state = "removed";
          m.output_state->files = 0;
          m.output_state->bytes = 0;
          // Only what this run made is removed: a directory that stood before stays.
          const bool stays = storage::stat_error(s.backend.names(), req.layout.path) == 0;
          const std::vector<std::string>& made = s.made_directories;
          const bool made_top = !made.empty() && made.front() == req.layout.path;
          m.output_state->text =
              !stays ? req.layout.path +
                           " was removed by the delete phase (every file and directory this run "
                           "created)"
                     : "the delete phase removed every file this run created and the directories "
                       "it made under " +
                           req.layout.path + "; " + req.layout.path +
                           (made_top ? " stays: it holds what this run did not create"
                                     : " stood before the run and stays");
        } else {
          m.output_state->files = had - removed;
          m.output_state->bytes = (had - removed) * req.layout.file_size;
          m.output_state->text = req.layout.path + " keeps " + std::to_string(had - removed) +
                                 " of its " + std::to_string(had) +
                                 " files, each whole: the delete phase was cut short after " +
                                 std::to_string(removed);
        }
      }
    }
    if (const int sig = agreed_stop(job); sig != 0) {
      m.stop_signal = sig;
      break;
    }
  }
}

// What an abort in the middle of the write leaves of a file (set_abort_note): the process ends
// where it stands, so nothing is renamed, cut or removed.
std::string abort_leaves(const OutputFile& out, bool per_rank) {
  if (!out.regular())
    return "the device " + out.path() + " holds part of the stream over what it held before";
  if (out.name() == out.path()) {
    return out.path() +
           " (written in place) stays as it is, the stream's bytes written over what it held "
           "before (--resume repairs it)";
  }
  return per_rank
             ? "each rank's temporary file stays as the kernel has it (this rank's: " + out.name() +
                   "; --resume continues them)"
             : "the temporary file " + out.name() +
                   " stays as the kernel has it (--resume continues it)";
}

// After a failed write (every rank has the agreed error): what stays, and the sentence that
// names it on rank 0. An earlier complete iteration's file is renamed into place; with
// --keep-partial every partial file stays as it is under its temporary name (in place: cut to
// the prefix every rank wrote, as after a stop), else it is removed. A dataset keeps its whole
// files, and with --keep-partial the temporary files of the files the error cut short.
// Collective.
std::string failed_write_state(Share& s, std::optional<OutputFile>& out, int completed,
                               std::uint64_t length, const std::vector<std::uint64_t>& done) {
  const Job& job = s.c.job;
  const RunRequest& req = s.c.request;
  const io::Layout& layout = req.layout;
  if (layout.kind == io::LayoutKind::kDataset) {
    const std::vector<FileFact> kept = gather_dataset_partials(job, s);
    std::string rest;
    if (!kept.empty()) {
      rest =
          "the files the error cut short are kept under their temporary names (what was "
          "written; --resume removes them and writes those files again): " +
          list_files(kept);
    } else {
      rest = req.keep_partial ? "the others were not written"
                              : "the others are missing (a file the error cut short was "
                                "removed; --keep-partial keeps it)";
    }
    return dataset_state(s, false,
                         storage::whole_files_on_disk(s.backend, s.c.request.layout, s.extents),
                         rest)
        .text;
  }
  const bool per_rank = layout.kind == io::LayoutKind::kFilePerRank;
  std::string what = "the transfers written, at their offsets";
  if (completed > 0) {
    out->commit(job, length);  // an earlier iteration wrote every byte: the file is whole
  } else if (req.keep_partial && out->regular()) {
    if (out->name() == out->path() && s.prefix_meaningful()) {
      // In place: no file that looks complete; cut to the prefix every rank wrote.
      const std::uint64_t mine = moved_prefix(s, done);
      out->keep_prefix(job, per_rank ? mine : job_prefix(job, mine, s.bytes));
      what = "each the stream's first bytes";
    } else {
      out->keep_whole(job);
    }
  } else {
    out->discard();
  }
  const std::vector<FileFact> files = gather_files(job, s.backend.names(), *out, per_rank, 0);
  if (job.rank() != 0) return out->state().text;
  return per_rank ? storage::per_rank_text(files, what) : out->state().text;
}

// The state of one run of the storage mode, shared by its steps.
struct StorageRun {
  StorageRun(const RankContext& context, Share& share, io::Backend& b, const io::BackendRow& r)
      : c(context), s(share), backend(b), row(r) {}
  const RankContext& c;
  Share& s;
  io::Backend& backend;
  const io::BackendRow& row;
  bool write = true;
  std::uint64_t length = 0;  ///< the stream's (a file per rank: a rank's) length
  Measured m;
  std::optional<OutputFile> out;
  storage::InputFiles inputs;             ///< --input: what the files hold
  std::vector<verify::Mismatch> missing;  ///< --verify: the stream's bytes no file holds
  report::Resume resumed;
  std::uint64_t removed_partials = 0;
  io::DirectAlignment align;
  std::string input_name;  ///< the file a single-file read opens
  std::optional<storage::DatasetDirectories> directories;
  std::optional<verify::LaneDecoder> decoder;
  std::vector<std::uint64_t> done;  ///< per thread, the prefix of its part it moved
  std::uint64_t dataset_kept = 0;
  int completed = 0;  ///< iterations every rank completed
  /// What each thread of every rank moved in the last write (a time-bounded one is not whole):
  /// the read-back reads exactly that.
  std::vector<std::uint64_t> written;

  bool asked(const char* phase) const {
    const auto& phases = c.request.storage.phases;
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
  }
  /// One pass over the rank's share, as the layout has it.
  Interval pass(report::Progress& p) {
    return c.request.layout.kind == io::LayoutKind::kDataset
               ? dataset_pass(s, p, dataset_kept)
               : single_file_pass(s, write ? out->name() : input_name, p, done);
  }
};

// The rank's share and how it moves, from the request.
void set_up_share(Share& s, bool write) {
  const Job& job = s.c.job;
  const RunRequest& req = s.c.request;
  s.write = write;
  s.transfer = req.storage.transfer;
  s.direct = req.storage.direct;
  s.order = req.storage.pattern;
  s.order_seed = req.storage.order_seed;
  s.interval = req.storage.interval;
  s.clock_offset = job.now() - clock_seconds();
  // --reorder: rank r reads what rank r + (ranks per node) wrote, IOR -C's shift.
  const int source =
      !write && req.storage.reorder ? (job.rank() + job.local_size()) % job.size() : job.rank();
  s.source_rank = source;
  s.extents = io::rank_extents(req.layout, source, job.size());
  s.bytes = io::rank_bytes(req.layout, source, job.size());
}

// A shared file or a file per rank: the output file, its rules and --resume's choice. Returns
// false when it is a stream (written by write_stream).
bool open_output(StorageRun& r) {
  const RankContext& c = r.c;
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const io::Layout& layout = req.layout;
  const std::string& path = layout.path;
  Share& s = r.s;
  const std::uint64_t length = r.length;
  std::optional<OutputFile>& out = r.out;
  report::Resume& resumed = r.resumed;
  const bool per_rank = layout.kind == io::LayoutKind::kFilePerRank;
  const std::uint64_t total = static_cast<std::uint64_t>(io::stream_length(layout, job.size()));
  // Through a symbolic link, as IOR, fio and dd write: the rules, the temporary file and the
  // rename apply to the file it names; the link stays.
  const std::string target = io::follow_links(per_rank ? io::file_path(layout, job.rank()) : path);
  const std::uint64_t base = per_rank ? c.global_offset : 0;  // stream offset of file offset 0
  OutputRules rules;
  rules.per_rank = per_rank;
  rules.in_place = req.storage.in_place;
  rules.overwrite = req.storage.overwrite;
  rules.seed = req.spec.seed;
  // --duration: the run may end at the wall or at a full file system, so the space check asks
  // for what a minimal run needs (one transfer per thread of every rank), not the whole --size.
  if (req.storage.duration > 0) {
    const unsigned __int128 least = static_cast<unsigned __int128>(req.storage.transfer) *
                                    static_cast<unsigned>(c.team.size()) *
                                    static_cast<unsigned>(job.size());
    rules.space_bytes = static_cast<std::uint64_t>(std::min<unsigned __int128>(least, total));
  }
  rules.same_stream = [&c, base, length](const std::byte* p, std::size_t n, std::uint64_t at) {
    if (at >= length) return false;
    std::vector<std::byte> want(std::min<std::uint64_t>(n, length - at));
    c.generator.generate(base + at, {want.data(), want.size()});
    return std::memcmp(p, want.data(), want.size()) == 0;
  };
  if (req.storage.resume) choose_resume(c, target, length, rules, resumed.from);
  out.emplace(job, target, total, rules, r.row.names());
  if (out->sequential()) {
    // A stream (a terminal, /dev/stdout, a pipe by name): as --output -, its bytes once, in
    // order; what would order, bound or flush them is refused, not dropped.
    const std::string refused = req.storage.pattern != io::Pattern::kSequential
                                    ? std::string("--pattern ") + io::to_string(req.storage.pattern)
                                : req.storage.duration > 0 ? std::string("--duration")
                                : !r.row.traits.streams    ? "--io " + req.storage.io
                                : req.storage.direct       ? std::string("--direct")
                                                           : std::string();
    job.agree(refused.empty()
                  ? ""
                  : "--output " + path + ": a stream takes the bytes in stream order, once; " +
                        refused + " is not for it",
              io::kUsageExit);
    return false;
  }
  set_abort_note(abort_leaves(*out, per_rank));
  // Every rank must see rank 0's file: a shared file needs a file system the nodes share
  // (and an MPI-IO open that fails on some ranks only would leave the others in its close).
  const int invisible = layout.kind == io::LayoutKind::kSharedFile
                            ? storage::stat_error(r.backend.names(), out->name())
                            : 0;
  job.agree(invisible != 0 ? "--output " + path + ": rank 0's file " + out->name() +
                                 " is not visible here (" + std::strerror(invisible) +
                                 "): a shared file needs a file system every node shares"
                           : "",
            2);
  int repair = req.storage.resume && !resumed.from.empty() ? 1 : 0;
  if (!per_rank) check(MPI_Bcast(&repair, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  s.repair = repair != 0;
  return true;
}

// --direct: the alignment of the target, and the thread parts' granule.
void check_direct_rules(StorageRun& r) {
  const RankContext& c = r.c;
  const io::Layout& layout = c.request.layout;
  const std::string& path = layout.path;
  const bool write = r.write;
  const std::optional<OutputFile>& out = r.out;
  const storage::InputFiles& inputs = r.inputs;
  const Share& s = r.s;
  // Read, or written in place (a device, --in-place): the file itself; else a probe file in
  // the directory the files go to.
  const bool dataset_write = write && layout.kind == io::LayoutKind::kDataset;
  const bool existing = !dataset_write && (!write || !out->regular() || out->name() == path ||
                                           out->name() == out->path() || s.repair);
  const std::string probe = dataset_write ? storage::directory_at(r.backend.names(), path)
                            : existing    ? (out                     ? out->name()
                                             : !inputs.probe.empty() ? inputs.probe
                                                                     : io::file_path(layout, 0))
                                          : storage::parent_of(out->name());
  r.align = check_direct(c, probe, existing);
  r.s.granule = std::max<std::uint64_t>(4096, r.align.offset);
}

// Bounded memory: --iodepth transfers per thread (each thread's queue keeps them in flight),
// or two for the main thread's double buffer; --verify's decoder.
void set_up_buffers(StorageRun& r) {
  const RankContext& c = r.c;
  const Job& job = c.job;
  const RunRequest& req = c.request;
  Share& s = r.s;
  io::Backend* backend = &r.backend;
  const io::BackendRow* row = &r.row;
  const io::DirectAlignment& align = r.align;
  const bool threaded = backend->threads_move_bytes();
  // A checked read at --iodepth 1 reads ahead: two buffers a thread, two reads in flight.
  const bool read_ahead = threaded && req.verify && req.storage.iodepth == 1;
  s.depth = threaded ? std::max(req.storage.iodepth, read_ahead ? 2 : 1) : 1;
  const int threads = c.team.size();
  std::uint64_t thread_bytes = 0;
  if (threaded) {
    // No more buffers than a thread has transfers to keep in flight: --iodepth 64 with a
    // thread of 3 transfers holds 3 (a read-ahead still 2).
    std::uint64_t most = 1;
    for (int t = 0; t < threads; ++t) {
      const io::TransferSequence seq = s.sequence(threads, t);
      most = std::max(most, seq.size());
      thread_bytes = std::max(thread_bytes, seq.bytes());
    }
    s.depth = static_cast<int>(std::min<std::uint64_t>(
        static_cast<std::uint64_t>(s.depth), std::max<std::uint64_t>(most, read_ahead ? 2 : 1)));
  }
  const std::size_t count = threaded ? static_cast<std::size_t>(threads * s.depth) : 2;
  // No buffer longer than the most one thread moves (a transfer is never longer).
  const std::uint64_t bytes = std::min<std::uint64_t>(
      s.transfer, std::max<std::uint64_t>(threaded ? thread_bytes : s.bytes, 1));
  const std::size_t alignment = std::max<std::uint64_t>(align.memory, 4096);
  {
    // The plan's buffers against what the node can give, before any is allocated.
    const unsigned __int128 need =
        static_cast<unsigned __int128>(count) * (bytes + alignment) * (s.repair ? 2 : 1) +
        (req.verify ? verify::kComparePiece * count : 0);
    const std::uint64_t need64 = need > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(need);
    const std::string what =
        (threaded ? "--iodepth " + std::to_string(req.storage.iodepth) + " --transfer " +
                        format_size(s.transfer) + ": " + std::to_string(threads) + " threads x " +
                        std::to_string(s.depth) + " buffers"
                  : "--transfer " + format_size(s.transfer) + ": 2 buffers") +
        " of " + format_size(bytes) + (s.repair ? " x 2 (--resume)" : "") + " = " +
        format_size(need64) + " per rank";
    job.agree(check_memory(job, need64, what), io::kUsageExit);
  }
  for (std::size_t i = 0; i < count; ++i) {
    s.buffers.emplace_back(bytes, alignment);
    if (s.repair) s.scratch.emplace_back(bytes, alignment);
  }
  if (threaded) s.queues.resize(static_cast<std::size_t>(threads));
  if (read_ahead) s.check_queues.resize(static_cast<std::size_t>(threads));
  // First touch by the threads that use them, on their NUMA node; each thread sets up its
  // queue over its buffers (an io_uring ring of its own, its buffers registered).
  const std::string err = run_on_team(c.team, [&](int t) {
    const std::size_t first = threaded ? static_cast<std::size_t>(t * s.depth) : 0;
    const std::size_t mine = threaded ? static_cast<std::size_t>(s.depth) : 2;
    if (!threaded && t != 0) return;
    std::vector<std::byte*> slots;
    for (std::size_t i = first; i < first + mine; ++i) {
      std::memset(s.buffers[i].data(), 0, bytes);
      slots.push_back(s.buffers[i].data());
    }
    for (std::size_t i = first; s.repair && i < first + mine; ++i) {
      std::memset(s.scratch[i].data(), 0, bytes);
      slots.push_back(s.scratch[i].data());
    }
    if (threaded) {
      s.queues[static_cast<std::size_t>(t)] =
          backend->make_queue(std::min(req.storage.iodepth, s.depth), slots.data(),
                              static_cast<int>(slots.size()), static_cast<std::size_t>(bytes));
    }
    if (read_ahead) {
      // A backend with a queue of its own (io_uring) keeps two reads in flight on it; the
      // others get a worker thread making the next call.
      s.check_queues[static_cast<std::size_t>(t)] =
          row->traits.queue_depth ? backend->make_queue(2, slots.data(), static_cast<int>(mine),
                                                        static_cast<std::size_t>(bytes))
                                  : io::make_read_ahead_queue(slots.data(), static_cast<int>(mine));
    }
  });
  job.agree(err, kIoErrorExit);
  // --verify: the stream's bytes are regenerated beside each buffer read, and compared.
  for (int i = 0; req.verify && i < (threaded ? threads : 1); ++i)
    s.expected.emplace_back(verify::kComparePiece, 4096);
  if (req.verify) {
    r.decoder.emplace(req.spec,
                      static_cast<std::uint64_t>(io::stream_length(req.layout, job.size())));
    s.decoder = &*r.decoder;
    s.keep_mismatches = req.max_mismatches;
  }
}

// The iterations of the write or read (with --duration each its stonewall, and --wear-out).
void run_iterations(StorageRun& r, report::Progress& progress) {
  const Job& job = r.c.job;
  const RunRequest& req = r.c.request;
  Share& s = r.s;
  Measured& m = r.m;
  const bool write = r.write;
  const auto pass = [&r](report::Progress& p) { return r.pass(p); };
  // --phases with --input and no read: the dataset is only stat'ed.
  const bool moves = req.storage.phases.empty() || r.asked(write ? "create" : "read");
  s.phase = write ? (req.storage.phases.empty() ? "write" : "create") : "read";
  try {
    for (int it = 0; moves && it < req.iterations; ++it) {
      job.sync();  // a rank missing here is still in the previous phase
      job.set_phase(std::string(write ? "write" : "read") + ", iteration " +
                    std::to_string(it + 1));
      // The wall (--duration) and the timeline's origin: rank 0's clock, the same for all.
      double start = job.now();
      check(MPI_Bcast(&start, 1, MPI_DOUBLE, 0, job.world()), "MPI_Bcast");
      if (it == 0) s.timeline_start = start;
      s.deadline = req.storage.duration > 0 ? start + req.storage.duration : 0;
      s.full = false;
      Interval run = pass(progress);
      if (req.storage.duration > 0) {
        // A rank whose file system filled before the wall stopped there: no wear-out follows.
        run.full = job.combine(s.full ? 1 : 0, MPI_MAX) != 0;
        stonewall(s, run, req.storage.wear_out && !run.full, progress, pass);
      }
      m.runs.push_back(run);
      if (!write && s.decoder != nullptr) {
        note_file_lengths(s, r.inputs.longer, r.missing);
        s.found.pass = m.runs.back();
        m.verify = s.found;
      }
      m.stop_signal = agreed_stop(job);
      if (m.stop_signal != 0) break;
      ++r.completed;
      s.repair = false;  // a resumed file is whole after its first pass
    }
  } catch (const JobFailure& failure) {
    if (!write) throw;
    // Name what the failure left, as it is: every rank is here (the error was agreed on).
    std::string state;
    try {
      state = failed_write_state(s, r.out, r.completed, r.length, r.done);
    } catch (const JobFailure& also) {
      state = also.what();  // keeping or committing failed too
    }
    throw JobFailure(std::string(failure.what()) + "; " + state, failure.exit_code());
  }
}

// After a dataset write: completed files stay, whole; what the dataset holds, named.
void settle_dataset(StorageRun& r) {
  const Job& job = r.c.job;
  const RunRequest& req = r.c.request;
  const io::Layout& layout = req.layout;
  Share& s = r.s;
  Measured& m = r.m;
  const int completed = r.completed;
  const auto& phases = req.storage.phases;
  // Completed files stay, whole; the one a thread was writing was removed.
  if (m.stop_signal == 0) r.directories->keep();
  std::uint64_t kept = completed > 0 ? s.bytes : r.dataset_kept;
  if (m.stop_signal != 0 && completed > 0 && req.storage.in_place) {
    // In place, the file being rewritten when the stop came was removed: count what is there.
    kept =
        storage::whole_files_on_disk(s.backend, s.c.request.layout, s.extents) * layout.file_size;
  }
  std::uint64_t total = 0;
  check(MPI_Allreduce(&kept, &total, 1, MPI_UINT64_T, MPI_SUM, job.world()), "MPI_Allreduce");
  m.bytes_kept = total;
  m.output_state =
      dataset_state(s, m.stop_signal == 0, layout.file_size > 0 ? kept / layout.file_size : 0,
                    m.stop_signal == 0 ? "the time-bounded create (--duration) wrote no more"
                                       : "the others were not written (a file the stop cut "
                                         "short is removed, never kept short)");
  const bool every_file = layout.file_size > 0 && total == layout.files * layout.file_size;
  if (m.stop_signal != 0 && completed == 0 && every_file && !phases.empty() && !m.runs.empty()) {
    // The stop came after the create pass had written every file: that phase is done, and
    // its row stays; the later phases did not run.
    if (r.asked("create")) m.phases.push_back({"create", m.runs.back()});
    std::string later;
    for (const std::string& p : phases)
      if (p != "create") later += (later.empty() ? "" : ", ") + p;
    if (!later.empty())
      m.output_state->text += " (the stop came after they were written; " + later + " did not run)";
  }
}

// After a single-file write: the file committed, kept (--keep-partial) or discarded.
void settle_file(StorageRun& r) {
  const Job& job = r.c.job;
  const RunRequest& req = r.c.request;
  const io::Layout& layout = req.layout;
  Share& s = r.s;
  Measured& m = r.m;
  std::optional<OutputFile>& out = r.out;
  const std::uint64_t length = r.length;
  const int completed = r.completed;
  if (m.stop_signal == 0 || completed > 0) {
    // A stop after a complete iteration keeps that iteration's file: the cut one rewrote the
    // same bytes.
    out->commit(job, length);
    m.bytes_kept = length;
    if (req.storage.duration > 0) {
      // A time-bounded iteration wrote its file, cut short at the wall, and the file stands at
      // its name: each complete iteration counts it.
      const bool owner = layout.kind == io::LayoutKind::kFilePerRank || job.rank() == 0;
      for (int i = 0; i < completed && i < static_cast<int>(m.runs.size()); ++i)
        m.runs[static_cast<std::size_t>(i)].files = owner ? 1 : 0;
    }
  } else if (req.keep_partial && !s.prefix_meaningful()) {
    // Another order than sequential, or a wall: what was written is no prefix; the file stays
    // as it is, under its temporary name.
    out->keep_whole(job);
    std::uint64_t mine = m.runs.empty() ? 0 : m.runs.back().bytes, total = 0;
    check(MPI_Reduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
    m.bytes_kept = total;
  } else if (req.keep_partial) {
    const std::uint64_t mine = moved_prefix(s, r.done);
    if (layout.kind == io::LayoutKind::kFilePerRank) {
      out->keep_prefix(job, mine);
      std::uint64_t total = 0;
      check(MPI_Reduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
      m.bytes_kept = total;
    } else {
      const std::uint64_t prefix = job_prefix(job, mine, s.bytes);
      out->keep_prefix(job, prefix);
      m.bytes_kept = prefix;
    }
  } else {
    out->discard();
  }
}

// What the output file holds now, for the report and the job's sentence. Collective.
void name_output(StorageRun& run) {
  const Job& job = run.c.job;
  const RunRequest& req = run.c.request;
  const io::Layout& layout = req.layout;
  const Share& s = run.s;
  Measured& m = run.m;
  const OutputFile* out = &*run.out;
  const std::uint64_t length = run.length;
  const int completed = run.completed;
  const bool per_rank = layout.kind == io::LayoutKind::kFilePerRank;
  const OutputState o = out->state();
  // What each file holds of the stream: a whole one its length; one kept as written, or cut at
  // the wall, the bytes this run's last pass wrote; a prefix its length.
  const bool time_bounded = req.storage.duration > 0 && o.state == "complete";
  const bool as_written = time_bounded || (o.state == "partial" && !s.prefix_meaningful());
  std::uint64_t holds = o.bytes;
  if (as_written) holds = m.runs.empty() ? 0 : m.runs.back().bytes;
  if (!as_written && !per_rank && job.rank() != 0) holds = 0;  // rank 0's counts
  const std::vector<FileFact> files = gather_files(job, s.backend.names(), *out, per_rank, holds);
  report::OutputState r;
  r.state = o.state;
  r.path = o.path;
  r.bytes = per_rank ? m.bytes_kept : o.bytes;
  r.text = per_rank && job.rank() == 0
               ? storage::per_rank_text(files, s.prefix_meaningful()
                                                   ? "each its rank's stream's first bytes"
                                                   : "the transfers written, at their offsets")
               : o.text;
  r.file_lengths = file_lengths(files);
  if (time_bounded) {
    std::uint64_t total = 0;
    for (const FileFact& f : files) total += f.holds;
    r.bytes = total;
    if (job.rank() == 0) r.text = storage::time_bounded_text(files, per_rank, length);
  }
  if (m.stop_signal != 0 && completed > 0) {
    r.iteration = completed;
    r.text += " from iteration " + std::to_string(completed) + " of " +
              std::to_string(req.iterations) + " (the stop came in iteration " +
              std::to_string(completed + 1) + ", which rewrote the same bytes)";
  }
  m.output_state = r;
}

// --resume: what was reused and written, summed over the job.
void sum_resume(StorageRun& r) {
  const Job& job = r.c.job;
  const io::Layout& layout = r.c.request.layout;
  Measured& m = r.m;
  report::Resume& resumed = r.resumed;
  const std::uint64_t removed_partials = r.removed_partials;
  std::uint64_t sums[2] = {resumed.reused_bytes, removed_partials};
  std::uint64_t all[2] = {0, 0};
  check(MPI_Reduce(sums, all, 2, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
  resumed.reused_bytes = all[0];
  resumed.removed_partials = all[1];
  const std::uint64_t written = m.runs.empty() ? 0 : m.runs.front().bytes;
  std::uint64_t job_written = 0;
  check(MPI_Reduce(&written, &job_written, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
  resumed.written_bytes =
      job_written > resumed.reused_bytes ? job_written - resumed.reused_bytes : 0;
  if (layout.kind == io::LayoutKind::kDataset && layout.file_size > 0)
    resumed.reused_files = resumed.reused_bytes / layout.file_size;
  m.resume = resumed;
}

// A dataset's --phases after its write: the later phases take the files the create made.
void phases_after_write(StorageRun& r, report::Progress& progress) {
  const Job& job = r.c.job;
  Share& s = r.s;
  const std::vector<std::uint64_t>& written = r.written;
  // A time-bounded create: the later phases take the files it made, each thread its own.
  s.first.clear();
  s.limit.clear();
  if (!written.empty()) {
    const std::size_t T = written.size() / static_cast<std::size_t>(job.size());
    const auto mine = static_cast<std::ptrdiff_t>(T * static_cast<std::size_t>(job.rank()));
    s.limit.assign(written.begin() + mine, written.begin() + mine + static_cast<std::ptrdiff_t>(T));
  }
  s.made_directories = r.directories->made();
  run_phases(s, r.m, true, progress);
}

// --verify after a write (IOR -w -W): the output read back and compared.
void read_back(StorageRun& r) {
  const Job& job = r.c.job;
  const RunRequest& req = r.c.request;
  const io::Layout& layout = req.layout;
  Share& s = r.s;
  Measured& m = r.m;
  const std::vector<std::uint64_t>& written = r.written;
  // IOR -w -W: the files just committed are read back and compared, in the same job; with
  // --reorder each rank reads what the rank one node further on wrote (a time-bounded write:
  // exactly the transfers it wrote).
  s.write = false;
  const int from = req.storage.reorder ? (job.rank() + job.local_size()) % job.size() : job.rank();
  s.source_rank = from;
  s.extents = io::rank_extents(layout, from, job.size());
  s.bytes = io::rank_bytes(layout, from, job.size());
  s.deadline = 0;
  s.first.clear();
  s.limit.clear();
  if (!written.empty()) {
    const std::size_t T = written.size() / static_cast<std::size_t>(job.size());
    s.limit.assign(
        written.begin() + static_cast<std::ptrdiff_t>(T * static_cast<std::size_t>(from)),
        written.begin() + static_cast<std::ptrdiff_t>(T * static_cast<std::size_t>(from + 1)));
  }
  report::Progress check_progress(req.progress && job.rank() == 0, s.bytes, job.size(), "verify");
  job.sync();
  job.set_phase("verify");
  s.phase = "verify";
  std::uint64_t unused = 0;
  try {
    s.found.pass =
        layout.kind == io::LayoutKind::kDataset
            ? dataset_pass(s, check_progress, unused)
            : single_file_pass(s, io::file_path(layout, s.extents[0].file), check_progress, r.done);
  } catch (const JobFailure& failure) {
    throw JobFailure(std::string(failure.what()) + "; the read-back failed, the output is " +
                         "complete: " + m.output_state->text,
                     failure.exit_code());
  }
  m.verify = s.found;
  m.stop_signal = agreed_stop(job);
  if (m.stop_signal != 0 && m.output_state) {
    m.output_state->text += "; the stop came during its read-back (--verify), which is cut short";
  }
}

}  // namespace

Measured run_storage(const RankContext& c) {
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const io::Layout& layout = req.layout;
  const bool write = req.output.has_value();

  // --io: a row of the backend table (io/backends.cpp); one that cannot run on this node (io_uring
  // disabled) is refused on every rank, before anything is opened.
  const io::BackendRow* row = io::find_backend(req.storage.io);
  job.agree(row == nullptr ? "--io " + req.storage.io + ": no such backend" : row->available(),
            io::kUsageExit);
  // An engine whose files are containers (BackendTraits::no_partial_why) has no partial file to
  // continue, cut or write in place.
  if (const char* why = row->traits.no_partial_why; *why != '\0') {
    const char* asked = req.storage.resume     ? "--resume"
                        : req.storage.in_place ? "--in-place"
                        : req.keep_partial     ? "--keep-partial"
                                               : nullptr;
    job.agree(asked == nullptr
                  ? ""
                  : std::string(asked) + ": not with --io " + row->traits.name + " (" + why + ")",
              io::kUsageExit);
  }
  std::unique_ptr<io::Backend> backend =
      row->make(io::BackendArgs{job.world(), &stop_signal, req.storage.engine_options});
  Share s(c, *backend);
  set_up_share(s, write);
  // An abort (--timeout, a failed MPI call) kills the job where it stands: its message says
  // what that leaves of the output, until the output is settled.
  struct ClearAbortNote {
    ~ClearAbortNote() { set_abort_note(""); }
  } clear_abort_note;
  StorageRun r(c, s, *backend, *row);
  r.write = write;
  r.length = layout.kind == io::LayoutKind::kFilePerRank
                 ? layout.size_per_rank
                 : static_cast<std::uint64_t>(io::stream_length(layout, job.size()));
  Measured& m = r.m;
  if (write && layout.kind != io::LayoutKind::kDataset) {
    if (!open_output(r)) return write_stream(c, *r.out);
  } else if (write) {
    check_dataset_target(c, backend->names());
    check_dataset_replacements(c, s.extents, backend->names());
    s.repair = req.storage.resume;
  } else {
    r.inputs = check_inputs(c, *backend, s.extents, req.verify);
  }
  if (s.direct) check_direct_rules(r);
  // The file a single-file read opens, named before a missing one leaves the rank no extent.
  r.input_name = write || layout.kind == io::LayoutKind::kDataset
                     ? ""
                     : io::file_path(layout, s.extents[0].file);
  if (!r.inputs.short_files.empty()) {
    // --verify of missing or short files: the rank reads what is there, and the rest is named.
    s.extents = storage::present_extents(s.extents, r.inputs.short_files,
                                         s.direct ? r.align.offset : 1, r.missing);
    s.bytes = 0;
    for (const io::Extent& e : s.extents) s.bytes += e.length;
  }
  if (write && layout.kind == io::LayoutKind::kDataset) {
    r.directories.emplace(backend->names());
    make_dataset_directories(c, *r.directories);
    set_abort_note(req.storage.in_place
                       ? "the files written stay, whole; the file this rank was writing stays "
                         "short under its name (--resume writes it again)"
                       : "the files written stay, whole; the file this rank was writing stays "
                         "under its temporary name, as the kernel has it (--resume removes it "
                         "and writes that file again)");
    if (s.repair && job.rank() == 0)
      r.removed_partials = io::remove_dataset_partials(layout, req.spec.seed);
  }
  set_up_buffers(r);
  report::Progress progress(req.progress && job.rank() == 0,
                            s.bytes * static_cast<std::uint64_t>(req.iterations), job.size(),
                            write ? "write" : "read");
  run_iterations(r, progress);
  m.io_component = backend->component();
  if (req.storage.duration > 0) r.written = gather_moved(s);
  if (!write) {
    if (layout.kind == io::LayoutKind::kDataset) run_phases(s, m, false, progress);
    keep_the_records(s, m);
    return std::move(m);
  }
  for (const Interval& run : m.runs) r.resumed.reused_bytes += run.reused;
  if (layout.kind == io::LayoutKind::kDataset) {
    settle_dataset(r);
  } else {
    settle_file(r);
  }
  if (r.out) name_output(r);
  set_abort_note("");  // the output is settled: committed, kept or removed
  if (req.storage.resume) sum_resume(r);
  if (layout.kind == io::LayoutKind::kDataset && !req.storage.phases.empty() &&
      m.stop_signal == 0) {
    phases_after_write(r, progress);
  } else if (s.decoder != nullptr && m.stop_signal == 0) {
    read_back(r);
  }
  keep_the_records(s, m);
  return std::move(m);
}

}  // namespace dgen::mpi
