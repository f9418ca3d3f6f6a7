#include "mpi/storage_checks.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "dgen/size.hpp"
#include "io/backend.hpp"
#include "io/errors.hpp"
#include "mpi/stop_signal.hpp"
#include "storage/dataset_dirs.hpp"
#include "storage/direct_rules.hpp"
#include "storage/names.hpp"
#include "storage/replacements.hpp"
#include "storage/unique_dirs.hpp"

namespace dgen::mpi {

io::DirectAlignment check_direct(const RankContext& c, const std::string& probe_path,
                                 bool existing) {
  const RunRequest& req = c.request;
  io::DirectAlignment a;
  std::string err;
  if (c.job.rank() == 0) {
    err = storage::direct_problem({req.storage.transfer, req.size, req.layout}, probe_path,
                                  existing, a);
  }
  c.job.agree(err, io::kUsageExit);
  std::uint64_t v[2] = {a.offset, a.memory};
  check(MPI_Bcast(v, 2, MPI_UINT64_T, 0, c.job.world()), "MPI_Bcast");
  a.offset = v[0];
  a.memory = v[1];
  return a;
}

std::string find_unique_dir_writers(const Job& job, const std::string& engine, io::Layout& layout) {
  std::string err;
  int writers = layout.ranks;
  if (job.rank() == 0) {
    // An engine not in the table is named by the storage mode's own check, later.
    const io::BackendRow* row = io::find_backend(engine);
    err = storage::unique_dir_writers(row != nullptr ? row->names() : io::posix_namespace(),
                                      layout.path, writers);
  }
  check(MPI_Bcast(&writers, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  layout.ranks = writers;
  return err;
}

void check_dataset_target(const RankContext& c, const io::Namespace& names) {
  std::string err;
  if (c.job.rank() == 0) err = storage::dataset_target_problem(names, c.request.layout.path);
  c.job.agree(err, io::kUsageExit);
}

void check_dataset_replacements(const RankContext& c, const io::ExtentList& extents,
                                const io::Namespace& names) {
  const RunRequest& req = c.request;
  std::string first;  // the problem of the lowest file, so that reruns name the same one
  std::uint64_t first_file = UINT64_MAX;
  std::mutex m;
  // A new dataset (its directory missing or empty) has nothing to replace: no file is looked at,
  // however many there are to be.
  if (!req.storage.overwrite && !extents.empty() &&
      !storage::empty_or_missing(names, req.layout.path)) {
    const int threads = c.team.size();
    const std::string err = run_on_team(c.team, [&](int t) {
      std::vector<std::byte> want(8192);
      const storage::Refusal r = storage::first_refusal(
          names, req.layout, extents, threads, t, req.spec.seed,
          [&](const std::byte* p, std::size_t n, std::uint64_t offset, const io::Extent& e) {
            if (offset >= e.length) return false;
            const std::size_t k = std::min<std::uint64_t>(n, e.length - offset);
            c.generator.generate(e.stream_offset + offset, {want.data(), k});
            return std::memcmp(p, want.data(), k) == 0;
          },
          [] { return stop_signal() != 0; });
      if (r.problem.empty()) return;
      std::lock_guard<std::mutex> lock(m);
      if (r.file < first_file) {
        first_file = r.file;
        first = r.problem;
      }
    });
    if (first.empty()) first = err;
  }
  c.job.agree(first, io::kUsageExit);
}

void make_dataset_directories(const RankContext& c, storage::DatasetDirectories& directories) {
  const io::Layout& layout = c.request.layout;
  std::string err;
  if (c.job.rank() == 0) {
    err = directories.make(layout, [] { return stop_signal() != 0; });
    if (err.empty()) {
      err =
          storage::space_problem(layout.path, layout.path,
                                 storage::dataset_space_needed(layout, c.job.size(), c.team.size(),
                                                               c.request.storage.duration > 0),
                                 0, directories.names());
    }
    if (err.empty() && c.request.storage.in_place) err = directories.lock(layout.path);
  }
  try {
    c.job.agree(err, io::kUsageExit);
  } catch (const JobFailure&) {
    directories.remove_empty();
    throw;
  }
}

storage::InputFiles check_inputs(const RankContext& c, io::Backend& backend,
                                 const io::ExtentList& extents, bool verify) {
  const io::Layout& layout = c.request.layout;
  storage::InputCheck found =
      storage::inspect_inputs(backend, layout, extents, c.job.size(), verify);
  if (verify) {
    // No file of the layout at all: a wrong path, not data to verify.
    std::uint64_t job_present = 0;
    check(MPI_Allreduce(&found.present, &job_present, 1, MPI_UINT64_T, MPI_SUM, c.job.world()),
          "MPI_Allreduce");
    if (found.error.empty() && job_present == 0 && !found.first_missing.empty()) {
      found.error = found.first_missing + " (no file of the " + io::to_string(layout.kind) +
                    " is there: nothing to verify)";
    }
  }
  c.job.agree(found.error, found.code);
  return std::move(found.files);
}

}  // namespace dgen::mpi
