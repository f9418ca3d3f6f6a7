// The results of a run, as rank 0 holds them after the reduction, and the three ways to print
// them. Only rank 0 calls the render functions. Columns and fields: docs/output.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dgen/spec.hpp"

namespace dgen::report {

/// Where and how the run happened, for the record (the first lines of every report).
struct Provenance {
  std::vector<std::string> command_line;
  std::string start_time;  ///< ISO 8601, UTC
  std::string host;        ///< rank 0's host
  std::string cpu_model;
  std::string transparent_hugepages;  ///< the kernel's THP mode: always, madvise or never
  std::string compiler;
  std::string dgen_version;
  std::string mpi_version;
  std::string hwloc_version;
  std::string job_id;        ///< SLURM_JOB_ID or PBS_JOBID, empty outside a batch job
  std::string io_component;  ///< what moved the bytes: "pwrite/pread", "ompio, fcoll auto", ...
};

/// One rank: where it ran and what it measured.
struct RankResult {
  int rank = 0;
  int local_rank = 0;
  std::string host;
  int numa_node = -1;             ///< OS index of its first NUMA domain
  std::vector<int> memory_nodes;  ///< OS indices its buffer is meant to be on
  std::vector<int> cpus;          ///< OS indices of the PUs its threads run on, one per thread
  int threads = 0;                ///< threads that ran (the team OpenMP gave)
  std::string binding;            ///< launcher | self | none
  std::string simd;
  std::vector<double> seconds;       ///< this rank's duration per iteration
  std::vector<std::uint64_t> bytes;  ///< bytes this rank completed per iteration
  double gbps = 0;                   ///< this rank's best rate over the complete iterations
  double memset_gbps = 0;            ///< memset of its buffer by its threads, best iteration
  double streaming_gbps = 0;         ///< streaming-store fill, the same
  double baseline_gbps = 0;          ///< the faster of the two
  double first_touch_seconds = 0;
  double generate_seconds = 0;  ///< storage modes: generating, all iterations (thread mean)
  double io_seconds = 0;        ///< storage modes: in write/read calls, the same
  /// --duration: the last iteration's transfers (a dataset: files) and bytes at the wall, and
  /// how long past it the rank took to stop
  std::uint64_t wall_moved = 0, wall_bytes = 0;
  double notice_seconds = 0;
  /// Pages on the intended node / pages with a known node; none when no page was checked or
  /// none had a known node.
  std::optional<double> local_fraction;
  std::uint64_t pages_unknown = 0;  ///< pages the kernel reported no node for
  bool oversubscribed = false;      ///< shares cpus with other threads or ranks
};

/// The stonewall of a time-bounded iteration (--duration; IOR -D): what the ranks had moved
/// when they stopped at the wall, or, when every rank finished before it, what they moved in the
/// time they took (reached false).
struct Stonewall {
  double limit_seconds = 0;  ///< the time limit (--duration)
  bool reached = false;      ///< some rank was stopped by the wall with transfers (files) left
  /// Measured, IOR's stonewall time: from the common start to the last completion of the rank
  /// that stopped last (at least the limit when reached; less when every rank finished before)
  double seconds = 0;
  std::uint64_t moved_min = 0, moved_max = 0;  ///< transfers (a dataset: files) per rank
  double moved_mean = 0;
  std::uint64_t bytes_min = 0;  ///< the slowest rank's bytes at the wall
  std::uint64_t bytes = 0;      ///< every rank's, at the wall
  int slowest_rank = 0;         ///< the rank with bytes_min
  /// reached: bytes_min x ranks / seconds, the stonewalled rate; else bytes / seconds
  double gbps = 0;
  /// the same of transfers (a dataset: files) per second: moved_min x ranks, or every rank's
  double moved_per_second = 0;
  double notice_seconds = 0;    ///< the longest a rank took past the wall to stop (0: not reached)
  bool wear_out = false;        ///< --wear-out ran after the wall
  double wear_out_seconds = 0;  ///< the slowest rank's time going on to the largest count
  /// A rank's write met ENOSPC (the file system full) before the wall and stopped there.
  bool file_system_full = false;
};

/// One iteration over the whole job.
struct IterationResult {
  double seconds = 0;         ///< the job's span: the slowest rank from the common sync
  std::uint64_t bytes = 0;    ///< bytes all ranks completed
  bool complete = true;       ///< false when a stop signal cut the iteration short
  double aggregate_gbps = 0;  ///< bytes / span
  double rank_min_gbps = 0, rank_mean_gbps = 0, rank_max_gbps = 0;
  // Storage modes (IOR's columns): the slowest rank's time per step, and files.
  double open_seconds = 0, io_seconds = 0, flush_seconds = 0, close_seconds = 0;
  double generate_seconds = 0;         ///< the slowest rank's time generating (writes)
  std::uint64_t files = 0;             ///< files completed by all ranks
  double files_per_second = 0;         ///< files / seconds
  double unflushed_gbps = 0;           ///< bytes / (seconds - flush_seconds): without the flush
  std::optional<Stonewall> stonewall;  ///< --duration
};

/// A metadata phase of a dataset (--phases; mdtest's file creation, stat, read, removal).
struct Phase {
  std::string name;        ///< create | stat | read | delete
  IterationResult result;  ///< its files, seconds and files_per_second (mdtest's ops/s)
};

struct Statistics {
  double min = 0, mean = 0, max = 0, stddev = 0;
};

/// The machine's write limit, measured by the same pinned threads on the same buffer: glibc's
/// memset (streaming stores on some CPUs and glibc versions, not on others) and a fill of a
/// constant with streaming stores. Generation is compared with the faster.
struct Baseline {
  std::vector<IterationResult> memset_iterations;
  std::vector<IterationResult> streaming_iterations;
  double memset_gbps = 0;     ///< best memset iteration
  double streaming_gbps = 0;  ///< best streaming-fill iteration
  std::string kind;           ///< "memset" or "streaming": the faster
  double aggregate_gbps = 0;  ///< the faster's figure
  double ratio = 0;           ///< best generation / aggregate_gbps
};

/// Where a write or read went and how (write and read modes).
struct Storage {
  std::string path;                 ///< --output or --input
  std::string layout;               ///< shared-file | file-per-rank | dataset
  std::uint64_t files = 1;          ///< files in the layout
  std::uint64_t file_size = 0;      ///< bytes per file (the largest)
  std::uint64_t files_per_dir = 0;  ///< dataset
  std::string io;                   ///< posix | mpiio | uring
  int iodepth = 1;                  ///< transfers in flight per thread
  std::optional<bool> collective;   ///< mpiio only
  std::uint64_t transfer = 0;
  bool direct = false;
  bool fsync = false;
  bool in_place = false;
  bool reorder = false;
  // How the transfers were ordered and bounded: each changes the figures.
  std::string pattern = "sequential";       ///< sequential | random | strided (--pattern)
  std::optional<std::uint64_t> order_seed;  ///< random: the order's seed (--order-seed)
  std::optional<std::uint64_t> segments;    ///< strided: segments per rank (--segments)
  std::optional<std::uint64_t> block;       ///< strided: bytes per rank and segment (--block)
  std::optional<double> duration;           ///< --duration: the time limit in seconds
  bool wear_out = false;                    ///< --wear-out
  bool unique_dir = false;                  ///< dataset: a directory per rank (--unique-dir)
  bool verify = false;                      ///< --verify: reads compare every byte
  bool resume = false;                      ///< --resume: transfers read first, some not written
  std::vector<std::string> phases;          ///< --phases, in order; empty: none asked
};

/// One output file as it stands when the run ends (the report's output_state.file_lengths).
struct FileLength {
  std::string path;          ///< its name: final, or temporary when kept as a partial
  std::uint64_t length = 0;  ///< its length on disk (stat)
  std::uint64_t holds = 0;   ///< bytes of the stream written into it (0: not known)
};

/// What became of the output when a write ended, named as it is (docs/output.md).
struct OutputState {
  /// complete | partial | removed | cut | untouched | device | files | none
  std::string state;
  std::string path;                    ///< where the bytes are (final or temporary name)
  std::uint64_t bytes = 0;             ///< bytes of the stream it holds
  std::optional<int> iteration;        ///< the complete iteration it holds (of several)
  std::optional<std::uint64_t> files;  ///< a dataset: whole files kept
  std::string text;                    ///< the sentence for people
  /// A shared file or each rank's file, as they stand (empty for a dataset)
  std::vector<FileLength> file_lengths;
};

/// --resume: what an earlier run left, found right and kept.
struct Resume {
  std::string from;                    ///< the partial file continued (rank 0's), empty if none
  std::uint64_t reused_bytes = 0;      ///< found right, not written again
  std::uint64_t written_bytes = 0;     ///< missing or wrong, written
  std::uint64_t reused_files = 0;      ///< a dataset: whole files kept as they were
  std::uint64_t removed_partials = 0;  ///< a dataset: temporary files of the earlier run removed
};

/// One wrong range found by --verify (docs/verify.md).
struct VerifyMismatch {
  std::uint64_t offset = 0;       ///< global stream offset of the first wrong byte
  std::uint64_t length = 0;       ///< bytes up to where the data is right again
  std::string file;               ///< the file that holds the first wrong byte
  std::uint64_t file_offset = 0;  ///< its offset there
  /// zeros | constant | stream | foreign | beyond the stream | missing | truncated
  std::string holds;
  std::optional<std::uint64_t> stream_offset;  ///< stream: where these bytes belong
  std::optional<int> constant;                 ///< constant: the byte value
  int expected = 0, found = 0;                 ///< the first wrong byte: should be, is
};

/// What --verify found, over the whole job.
struct Verify {
  std::uint64_t bytes = 0;  ///< bytes read and compared
  std::uint64_t mismatched_bytes = 0;
  std::uint64_t mismatched_blocks = 0;  ///< 4 KiB blocks of the stream with a wrong byte
  std::uint64_t missing_bytes = 0;      ///< of the mismatched: in no file (files missing or short)
  double seconds = 0;                   ///< the verifying read pass's span
  double gbps = 0;                      ///< bytes / seconds: reading and comparing
  double compare_seconds = 0;           ///< the slowest rank's time regenerating and comparing
  std::vector<VerifyMismatch> mismatches;  ///< the first --max-mismatches, in stream order
  /// When the wrong ranges are this seed's stream made with other data options: the options
  /// that regenerate the first wrong range ("--dedup-ratio 2"), and the sentence for people.
  std::string other_options;
  std::string diagnosis;
};

/// A figure with its interval (three standard errors each side); low == high == value when the
/// figure is exact.
struct Range {
  double value = 0, low = 0, high = 0;
};

/// Compression ratios (bytes / compressed bytes) of zstd-3, lz4 and zlib-6, each block alone.
struct CompressRatios {
  std::optional<Range> zstd, lz4, zlib;  ///< none when no block was compressed
  std::uint64_t blocks = 0;              ///< blocks compressed (the sample)
  /// > 0: the distinct blocks among them (chunks: copies are one draw of the interval); 0: the
  /// interval took every block as a draw of its own
  std::uint64_t groups = 0;
  std::uint64_t sampled = 0;  ///< of `blocks`: those sampled (not the zero ones, always known)
  std::uint64_t bytes = 0;    ///< their bytes
  std::uint64_t zstd_bytes = 0, lz4_bytes = 0, zlib_bytes = 0;  ///< their compressed bytes
};

/// --analyze at one unit size.
struct AnalyzeUnit {
  std::uint64_t unit = 0;
  std::uint64_t units = 0;  ///< a file's partial last unit counts as one
  std::uint64_t bytes = 0;
  Range distinct;                        ///< exact unless the estimator ran
  std::optional<double> dedup_ratio;     ///< units / distinct; none without units
  std::uint64_t zero_units = 0;          ///< units of zeros only
  CompressRatios compress;               ///< every unit alone (or the --sample)
  std::optional<Range> stored_bytes;     ///< dedup at this unit, then zstd-3 per distinct unit
  std::optional<double> combined_ratio;  ///< bytes / stored_bytes; none when nothing is stored
};

/// A path --analyze could not read, as the report names it.
struct AnalyzeUnreadable {
  std::string path;
  std::string error;                    ///< "cannot open: Permission denied"
  std::optional<std::uint64_t> offset;  ///< where reading the file failed; none for the walk
};

/// What --analyze measured.
struct Analyze {
  std::vector<std::string> paths;
  std::uint64_t files = 0;    ///< regular files and block devices read (not those unreadable)
  std::uint64_t skipped = 0;  ///< links and special files met in walks, not read
  std::uint64_t same_file_skipped = 0;  ///< paths naming a file listed already (device, inode)
  std::uint64_t bytes = 0;              ///< bytes analyzed
  std::uint64_t hole_bytes = 0;         ///< of them, in holes: counted as zeros, not read
  std::uint64_t unreadable = 0;         ///< files and directories skipped: they could not be read
  int unreadable_exit_code = 0;         ///< the job's exit code for them (of the first), or 0
  std::vector<AnalyzeUnreadable> unreadable_first;  ///< the first, in walk order
  std::vector<AnalyzeUnit> units;
  std::uint64_t chunk = 0;  ///< whole-data compression block
  std::uint64_t chunks = 0;
  CompressRatios chunk_compress;
  double sample = 1;                  ///< fraction of units and chunks compressed
  double keep = 1;                    ///< fraction of fingerprints counted (< 1: the estimator)
  std::uint64_t memory_per_rank = 0;  ///< the most a rank planned for fingerprints and buffers
  std::uint64_t memory_budget = 0;    ///< the least a rank was allowed
  double collision_bound = 0;         ///< P(two distinct units share a fingerprint) at most this
  std::string hash;  ///< the fingerprint and the variant that ran ("XXH3-128, avx2")
  double seconds = 0, gbps = 0;
  // The slowest rank's time in each step (thread means).
  double read_seconds = 0, hash_seconds = 0, compress_seconds = 0, exchange_seconds = 0,
         count_seconds = 0;
  double zstd_seconds = 0, lz4_seconds = 0, zlib_seconds = 0;  ///< of compress_seconds
};

/// One operation's transfer latencies over the whole job: every thread's histogram
/// (report/latency.hpp) merged over threads and ranks by bucket counts. Times in seconds.
struct Latency {
  /// write | read | fsync | open | close | stat | unlink; "phase/op" when several phases recorded
  /// latencies (a dataset's --phases, a write's --verify read-back): "create/open", "read/open"
  std::string op;
  std::string phase;  ///< the phase that made the calls: write, read, verify, create, stat, delete
  std::uint64_t count = 0;
  double min = 0, mean = 0, max = 0;
  double mean_ns = 0;  ///< the mean in nanoseconds, from the whole-nanosecond sum
  /// (percent, seconds): the upper edge of the bucket holding that rank of value, at most max.
  std::vector<std::pair<double, double>> percentiles;
  /// The non-empty buckets in order, (upper edge in seconds, at most max; count): the exact CDF.
  std::vector<std::pair<double, std::uint64_t>> histogram;
};

/// Bytes each rank completed per interval of the run, gathered to rank 0 at the end.
struct Timelines {
  double interval_seconds = 1;
  /// Per rank (index = rank), bytes completed in [k * interval, (k + 1) * interval) from the
  /// common start; rows may differ in length (a rank that finished early has fewer).
  std::vector<std::vector<std::uint64_t>> ranks;
};

struct Report {
  /// "bench" (generate into memory), "write" (--output), "read" (--input) or "analyze"
  std::string mode;
  DataSpec spec;
  std::uint64_t bytes_per_rank = 0;
  std::uint64_t total_bytes = 0;
  int ranks = 1;
  int nodes = 1;
  int threads = 0;  ///< per rank (the largest if ranks differ)
  std::string simd;
  std::string stores;  ///< streaming | cached
  std::optional<std::string> output;
  std::optional<Storage> storage;           ///< write and read modes
  std::optional<Verify> verify;             ///< --verify
  std::optional<Analyze> analyze;           ///< --analyze
  bool complete = true;                     ///< false when a stop signal ended the job early
  int stop_signal = 0;                      ///< that signal
  std::optional<std::uint64_t> bytes_kept;  ///< --keep-partial: the prefix left in the file
  std::optional<OutputState> output_state;  ///< write mode: what stands at the output now
  std::optional<Resume> resume;             ///< --resume
  int exit_code = 0;  ///< non-zero: the exit code after the report (--analyze: unreadable paths)
  bool oversubscribed = false;
  double first_touch_seconds = 0;  ///< slowest rank
  std::vector<IterationResult> iterations;
  std::vector<Phase> phases;  ///< --phases: every phase of the dataset, in order
  Statistics summary;         ///< of aggregate_gbps over the complete iterations
  /// a dataset: of files_per_second over the complete iterations (its figure with small files)
  std::optional<Statistics> files_summary;
  std::optional<Baseline> baseline;
  std::vector<RankResult> per_rank;
  std::vector<std::string> warnings;  ///< "rank N (host): ..." gathered from every rank
  Provenance provenance;
  std::vector<Latency> latency;       ///< per operation, in the order printed; empty: not recorded
  std::optional<Timelines> timeline;  ///< bytes per rank per interval; none: not recorded
};

/// How a report is printed.
enum class Format { kTable, kJson, kCsv };

/// The report in the given format: render_table, to_json (indented) or render_csv.
std::string render(const Report& report, Format format);

/// Aggregates of a list of rates: min, mean, max and the sample standard deviation.
Statistics statistics_of(const std::vector<double>& values);

/// The report for people: header, iteration table, summary, baseline, per-rank placement.
std::string render_table(const Report& report);

/// One JSON document; schema in docs/output.md.
nlohmann::ordered_json to_json(const Report& report);

/// A header and one row per iteration and rank; then, when latencies were recorded, an empty
/// line and the latency section (its own header, a row per operation; docs/output.md).
std::string render_csv(const Report& report);

/// The bandwidth timeline as CSV: `rank,interval_start_seconds,bytes,gbps`, a row per rank and
/// interval (the header alone when none was recorded).
std::string render_timeline_csv(const Report& report);

}  // namespace dgen::report
