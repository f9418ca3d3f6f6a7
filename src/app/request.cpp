#include "app/request.hpp"

#include <cstdlib>
#include <cstring>

namespace dgen::app {

namespace {

// OMP_NUM_THREADS is "8" or, for nested levels, "8,4": the first level is the team's size.
// Anything else is ignored, as OpenMP does.
std::optional<int> threads_from_environment() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (env == nullptr) return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(env, &end, 10);
  if (end == env || (*end != '\0' && *end != ',') || n < 1 || n > kMaxThreads) return std::nullopt;
  return static_cast<int>(n);
}

}  // namespace

topology::PlanRequest plan_request(const Options& o) {
  topology::PlanRequest req;
  req.ranks = 1;
  req.threads = o.threads ? o.threads : threads_from_environment();
  req.smt = o.smt;
  req.memory = o.memory;
  return req;
}

mpi::RunRequest run_request(const Options& o) {
  mpi::RunRequest r;
  r.spec = o.spec;
  r.size = o.size;
  r.simd = o.simd;
  r.iterations = o.iterations;
  r.output = o.output;
  r.input = o.input;
  if (!o.analyze.empty()) {
    mpi::AnalyzeRequest a;
    a.paths = o.analyze;
    a.units = o.analyze_units;
    a.chunk = o.analyze_chunk;
    a.sample = o.sample;
    a.memory_per_rank = o.analyze_memory;
    a.strict = o.analyze_strict;
    r.analyze = a;
  }
  r.layout.path = o.output ? *o.output : o.input.value_or("");
  r.layout.size_per_rank = o.size;
  r.layout.kind = o.files > 0       ? io::LayoutKind::kDataset
                  : o.file_per_rank ? io::LayoutKind::kFilePerRank
                                    : io::LayoutKind::kSharedFile;
  r.layout.files = o.files;
  r.layout.file_size = o.file_size;
  r.layout.files_per_dir = o.files_per_dir;
  r.storage.io = o.io;
  r.storage.iodepth = o.iodepth;
  r.storage.engine_options = o.engine_options;
  r.storage.transfer = o.transfer;
  r.storage.direct = o.direct;
  r.storage.fsync = o.fsync;
  r.storage.in_place = o.in_place;
  r.storage.overwrite = o.overwrite;
  r.storage.resume = o.resume;
  r.storage.reorder = o.reorder;
  r.storage.pattern = io::parse_pattern(o.pattern);
  r.storage.order_seed = o.order_seed.value_or(o.spec.seed ^ 0x6f72646572ULL);  // "order"
  r.storage.duration = o.duration.value_or(0);
  r.storage.wear_out = o.wear_out;
  r.storage.interval = o.interval;
  r.storage.phases = o.phases;
  if (r.storage.pattern == io::Pattern::kStrided) {
    r.layout.segments = o.segments;
    r.layout.block = o.block;
  }
  r.layout.unique_dirs = o.unique_dir;
  r.verify = o.verify;
  r.max_mismatches = o.max_mismatches;
  r.keep_partial = o.keep_partial;
  r.baseline = o.baseline && o.analyze.empty();
  r.progress = o.progress.value_or(false);
  r.plan = plan_request(o);
  r.bind = o.bind;
  r.hugepages = o.hugepages;
  r.strict_placement = o.strict_placement;
  r.timeout_seconds = o.timeout_seconds;
  r.command_line = o.argv;
  return r;
}

}  // namespace dgen::app
