// The command line of dgen_mpi: one table of options, parsed and validated before anything is
// allocated, created or launched.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dgen/spec.hpp"
#include "report/report.hpp"
#include "topology/binding.hpp"
#include "topology/plan.hpp"

namespace dgen::app {

/// How the report is printed (report::Format: table, JSON or CSV).
using Format = report::Format;

/// Everything the user asked for, validated.
struct Options {
  DataSpec spec;                      ///< the data parameters
  std::uint64_t size = 1ULL << 30;    ///< bytes per rank
  std::optional<int> threads;         ///< --threads; else OMP_NUM_THREADS, else the cores
  std::string simd = "auto";          ///< --simd
  int iterations = 3;                 ///< --iterations
  bool iterations_given = false;      ///< whether --iterations was on the command line
  std::optional<std::string> output;  ///< --output PATH or "-"
  std::optional<std::string> input;   ///< --input PATH: read the stream back
  std::vector<std::string> analyze;   ///< --analyze PATH...: measure existing data
  std::vector<std::uint64_t> analyze_units{4096, 8192, 16384, 32768, 65536, 131072};
  std::uint64_t analyze_chunk = 1ULL << 20;  ///< --analyze-chunk
  double sample = 1;                         ///< --sample
  std::uint64_t analyze_memory = 0;          ///< --analyze-memory; 0 = from free memory
  bool analyze_strict = false;               ///< --strict: an unreadable path ends the job
  bool file_per_rank = false;                ///< --file-per-rank
  std::uint64_t files = 0;                   ///< --files N (0: not a dataset)
  std::uint64_t file_size = 0;               ///< --file-size
  std::uint64_t files_per_dir = 1000;        ///< --files-per-dir
  bool in_place = false;                     ///< --in-place
  bool overwrite = false;                    ///< --overwrite
  bool resume = false;                       ///< --resume
  std::string io;                            ///< --io: a row of io::backends()
  int iodepth = 1;                           ///< --iodepth
  /// The options of --io's engine (io::BackendTraits::options), given or default, by name
  std::map<std::string, std::string> engine_options;
  std::uint64_t transfer = 1ULL << 20;      ///< --transfer
  bool direct = false;                      ///< --direct
  bool fsync = true;                        ///< --fsync on|off
  bool reorder = false;                     ///< --reorder
  std::string pattern = "sequential";       ///< --pattern
  std::uint64_t segments = 1;               ///< --segments (strided)
  std::uint64_t block = 0;                  ///< --block (strided)
  std::optional<std::uint64_t> order_seed;  ///< --order-seed (random)
  std::optional<double> duration;           ///< --duration, seconds
  bool wear_out = false;                    ///< --wear-out
  double interval = 1;                      ///< --interval, seconds
  std::optional<std::string> timeline;      ///< --timeline PATH (CSV)
  std::vector<std::string> phases;          ///< --phases (datasets)
  bool unique_dir = false;                  ///< --unique-dir
  bool verify = false;                      ///< --verify
  std::size_t max_mismatches = 16;          ///< --max-mismatches
  bool keep_partial = false;                ///< --keep-partial
  double timeout_seconds = 0;               ///< --timeout; 0 = off
  std::string timeout_text = "0";           ///< --timeout as given, for messages
  Format format = Format::kTable;           ///< --format
  std::optional<std::string> report;        ///< --report PATH: the report goes there, not to stdout
  std::optional<bool> progress;             ///< --progress; unset = when stderr is a terminal
  bool baseline = true;                     ///< --baseline on|off
  topology::BindPolicy bind = topology::BindPolicy::kAuto;         ///< --bind
  topology::MemoryPolicy memory = topology::MemoryPolicy::kLocal;  ///< --memory
  bool smt = false;                     ///< --smt: a thread per PU, not per core
  bool hugepages = false;               ///< --hugepages: transparent huge pages for the buffer
  bool strict_placement = false;        ///< --strict-placement: < 99% local pages is an error
  std::optional<std::string> topology;  ///< --topology FILE.xml (with --plan)
  std::optional<int> plan_ranks;        ///< --ranks N (with --plan)
  std::vector<std::string> argv;        ///< the command line, for the report
};

/// What the command line asks the program to do.
enum class Action { kRun, kHelp, kVersion, kListSimd, kPlan };

struct ParsedCommandLine {
  Action action = Action::kRun;
  Options options;
};

/// Bad input: the message names the option, the value and the accepted range.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses and validates argv. Throws UsageError.
ParsedCommandLine parse_command_line(int argc, const char* const* argv);

/// The --help text: every option with its unit, default and accepted range, then examples.
std::string help_text();

/// The man page dgen_mpi(1) in roff, from the same option table and examples as --help.
std::string man_page();

inline constexpr int kMaxThreads = 4096;
inline constexpr int kMaxIterations = 1'000'000;
inline constexpr std::uint64_t kMaxFiles = 1'000'000'000;
inline constexpr std::uint64_t kMaxTransfer = 1ULL << 30;

}  // namespace dgen::app
