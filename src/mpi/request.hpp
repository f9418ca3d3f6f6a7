// What one run is asked to do, as every rank of the job takes it: a plain value built once from
// the command line (app/request.hpp), so that src/mpi/ never sees the CLI's options.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dgen/spec.hpp"
#include "io/layout.hpp"
#include "io/pattern.hpp"
#include "topology/binding.hpp"
#include "topology/plan.hpp"

namespace dgen::mpi {

/// How the bytes move to and from storage (write and read modes).
struct StorageRequest {
  std::string io = "posix";  ///< --io: a row of io::backends() (posix, mpiio, uring)
  int iodepth = 1;           ///< --iodepth: transfers in flight per thread
  /// The options the engine of --io declares (io::BackendTraits::options), given or their
  /// defaults, by name: io::BackendArgs::options
  std::map<std::string, std::string> engine_options;
  std::uint64_t transfer = 1ULL << 20;  ///< --transfer: bytes per write or read call
  bool direct = false;                  ///< --direct: O_DIRECT
  bool fsync = true;                    ///< --fsync: flush before the clock stops
  bool in_place = false;                ///< --in-place: no temporary name
  bool overwrite = false;               ///< --overwrite: replace existing files whatever they hold
  bool resume = false;                  ///< --resume: continue the partial output of a run
  bool reorder = false;                 ///< --reorder: read what a rank on another node wrote
  io::Pattern pattern = io::Pattern::kSequential;  ///< --pattern: the order of the transfers
  std::uint64_t order_seed = 0;                    ///< --order-seed (random)
  double duration = 0;    ///< --duration: > 0, move transfers until then (seconds)
  bool wear_out = false;  ///< --wear-out: after the wall, on to the largest count reached
  double interval = 1;    ///< --interval: the bandwidth timeline's step (seconds)
  /// --phases of a dataset, in order (create, stat, read, delete); empty: create with --output,
  /// read with --input
  std::vector<std::string> phases;
};

/// What --analyze measures (analyze mode).
struct AnalyzeRequest {
  std::vector<std::string> paths;     ///< files, directories, block devices
  std::vector<std::uint64_t> units;   ///< --analyze-units, ascending
  std::uint64_t chunk = 1ULL << 20;   ///< --analyze-chunk
  double sample = 1;                  ///< --sample: fraction of units compressed
  std::uint64_t memory_per_rank = 0;  ///< --analyze-memory; 0 = from the node's free memory
  bool strict = false;  ///< --strict: a path that cannot be read ends the job, not skipped
};

struct RunRequest {
  DataSpec spec;                          ///< the data parameters
  std::uint64_t size = 1ULL << 30;        ///< bytes per rank
  std::string simd = "auto";              ///< kernel name or "auto"
  int iterations = 3;                     ///< timed repetitions
  std::optional<std::string> output;      ///< write the stream here ("-" = stdout); else bench mode
  std::optional<std::string> input;       ///< read the stream back from here (read mode)
  std::optional<AnalyzeRequest> analyze;  ///< analyze mode: measure existing data
  io::Layout layout;                      ///< the files of --output or --input
  StorageRequest storage;
  bool verify = false;              ///< --verify: compare what is read with the stream
  std::size_t max_mismatches = 16;  ///< --max-mismatches: the first ones reported
  bool keep_partial = false;        ///< an interrupted write keeps its written prefix
  bool baseline = true;             ///< time memset and a streaming fill too (bench mode)
  bool progress = false;            ///< the progress line on rank 0's stderr
  topology::PlanRequest plan;       ///< threads, smt, memory; ranks are the node's, at run time
  topology::BindPolicy bind = topology::BindPolicy::kAuto;
  bool hugepages = false;
  bool strict_placement = false;
  double timeout_seconds = 0;  ///< > 0: no rank waits longer at a synchronisation point
  std::vector<std::string> command_line;

  /// The options every rank of a job must share, as (option, value) in a fixed order; MPMD
  /// ranks are compared with rank 0 on these. --threads and --simd may differ between ranks
  /// (nodes of different kinds): they change neither the bytes nor where they go.
  std::vector<std::pair<std::string, std::string>> shared_options() const;
};

}  // namespace dgen::mpi
