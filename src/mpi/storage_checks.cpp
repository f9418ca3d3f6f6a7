#include "mpi/storage_checks.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "dgen/size.hpp"
#include "io/errors.hpp"
#include "mpi/output_file.hpp"
#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

namespace {

namespace fs = std::filesystem;

std::string multiple_rule(const char* option, std::uint64_t value, const io::DirectAlignment& a,
                          const std::string& where) {
  if (value % a.offset == 0) return "";
  return std::string("--direct: ") + option + " " + std::to_string(value) +
         " is not a multiple of " + format_size(a.offset) + ", the direct-I/O alignment of " +
         where + " (" + a.source + ")";
}

}  // namespace

io::DirectAlignment check_direct(const RankContext& c, const std::string& probe_path,
                                 bool existing) {
  const RunRequest& req = c.request;
  io::DirectAlignment a;
  std::string err;
  if (c.job.rank() == 0) {
    err = existing ? io::probe_direct_existing(probe_path, a) : io::probe_direct_io(probe_path, a);
    if (!err.empty()) err = "--direct: " + err;
    if (err.empty()) err = multiple_rule("--transfer", req.storage.transfer, a, probe_path);
    if (err.empty() && req.layout.kind == io::LayoutKind::kDataset)
      err = multiple_rule("--file-size", req.layout.file_size, a, probe_path);
    if (err.empty() && req.layout.kind != io::LayoutKind::kDataset)
      err = multiple_rule("--size", req.size, a, probe_path);
    // A strided file's thread parts start where its block's transfers do.
    if (err.empty() && req.layout.block > 0)
      err = multiple_rule("--block", req.layout.block, a, probe_path);
  }
  c.job.agree(err, io::kUsageExit);
  std::uint64_t v[2] = {a.offset, a.memory};
  check(MPI_Bcast(v, 2, MPI_UINT64_T, 0, c.job.world()), "MPI_Bcast");
  a.offset = v[0];
  a.memory = v[1];
  return a;
}

std::string find_unique_dir_writers(const Job& job, io::Layout& layout) {
  std::string err;
  int writers = layout.ranks;
  if (job.rank() == 0) {
    std::error_code ec;
    if (fs::is_directory(layout.path, ec)) {
      long long most = -1;
      for (const auto& e : fs::directory_iterator(layout.path, ec)) {
        const std::string name = e.path().filename().string();
        if (name.size() != 9 || name[0] != 'r' || !e.is_directory(ec)) continue;
        if (name.find_first_not_of("0123456789", 1) != std::string::npos) continue;
        most = std::max(most, std::stoll(name.substr(1)));
      }
      if (ec) {
        err = "--input " + layout.path + ": cannot list it: " + ec.message();
      } else if (most < 0) {
        err = "--input " + layout.path +
              ": --unique-dir: it holds no rank directory (r00000000, ...): it was written "
              "without --unique-dir";
      } else if (most >= INT_MAX) {
        err = "--input " + layout.path + ": --unique-dir: a rank directory r" +
              std::to_string(most) + " no job could have written";
      } else {
        writers = static_cast<int>(most + 1);
      }
    }
  }
  check(MPI_Bcast(&writers, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  layout.ranks = writers;
  return err;
}

void check_dataset_target(const RankContext& c) {
  const io::Layout& layout = c.request.layout;
  std::string err;
  if (c.job.rank() == 0) {
    const io::Target t = io::inspect_target(layout.path);
    if (!t.kernel_fs.empty()) {
      err = "--output " + layout.path + ": is on " + t.kernel_fs +
            ", a kernel interface, not storage: dgen_mpi never writes there";
    } else if (t.kind != io::TargetKind::kMissing && t.kind != io::TargetKind::kDirectory) {
      err = "--output " + layout.path + ": is not a directory (--files writes a dataset there)";
    } else if (const std::string why = parent_directory_problem(layout.path); !why.empty()) {
      err = "--output " + layout.path + ": " + why;
    }
  }
  c.job.agree(err, io::kUsageExit);
}

namespace {

// Whether directory `dir` is missing or holds nothing: no file of the dataset can be there.
bool empty_or_missing(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return errno == ENOENT || errno == ENOTDIR;
  bool empty = true;
  for (const dirent* e = readdir(d); e != nullptr && empty; e = readdir(d)) {
    const std::string name = e->d_name;
    empty = name == "." || name == "..";
  }
  closedir(d);
  return empty;
}

// The first file of the directory after the one that holds `file` (in a dataset whose rank's
// files start at `rank_first`, which --unique-dir counts from).
std::uint64_t next_directory_start(const io::Layout& l, std::uint64_t file,
                                   std::uint64_t rank_first) {
  const std::uint64_t base = l.unique_dirs ? rank_first : 0;
  return base + ((file - base) / l.files_per_dir + 1) * l.files_per_dir;
}

}  // namespace

void check_dataset_replacements(const RankContext& c, const io::ExtentList& extents) {
  const RunRequest& req = c.request;
  std::string first;  // the problem of the lowest file, so that reruns name the same one
  std::uint64_t first_file = UINT64_MAX;
  std::mutex m;
  // A new dataset (its directory missing or empty) has nothing to replace: no file is looked at,
  // however many there are to be.
  if (!req.storage.overwrite && !extents.empty() && !empty_or_missing(req.layout.path)) {
    const int threads = c.team.size();
    const std::uint64_t rank_first = extents[0].file;
    const std::string err = run_on_team(c.team, [&](int t) {
      const buffer::Part mine = buffer::part_of(extents.size(), threads, t, 1);
      std::vector<std::byte> want(8192);
      std::string dir;  // the last directory looked at, and whether it held nothing
      bool dir_empty = false;
      for (std::uint64_t k = mine.begin; k < mine.end && stop_signal() == 0; ++k) {
        const io::Extent e = extents[k];
        const std::string path = io::file_path(req.layout, e.file);
        if (const std::string d = path.substr(0, path.rfind('/')); d != dir) {
          dir = d;
          dir_empty = empty_or_missing(d);
        }
        if (dir_empty && extents.uniform()) {
          // On to the next directory's first file (the rank's files are consecutive).
          k = std::max(k + 1, next_directory_start(req.layout, e.file, rank_first) - rank_first) -
              1;
          continue;
        }
        if (dir_empty) continue;
        const io::Target target = io::inspect_target(path);
        std::string problem;
        if (target.kind == io::TargetKind::kMissing) continue;
        struct stat own {};
        if (lstat(path.c_str(), &own) == 0 && S_ISLNK(own.st_mode)) {
          // The file's rename would replace the link, not the file it names.
          problem = "--output " + path +
                    ": is a symbolic link where the dataset's file goes; it is left as it is "
                    "(a link may name the dataset's directory, not its files)";
        } else if (target.kind != io::TargetKind::kRegular) {
          problem = "--output " + path + ": is " + io::describe(target.kind) +
                    " where the dataset's file goes; it is left as it is";
        } else {
          problem = io::replace_problem(
              "--output", path, req.spec.seed,
              [&](const std::byte* p, std::size_t n, std::uint64_t offset) {
                if (offset >= e.length) return false;
                const std::size_t k = std::min<std::uint64_t>(n, e.length - offset);
                c.generator.generate(e.stream_offset + offset, {want.data(), k});
                return std::memcmp(p, want.data(), k) == 0;
              });
        }
        if (problem.empty()) continue;
        std::lock_guard<std::mutex> lock(m);
        if (e.file < first_file) {
          first_file = e.file;
          first = problem;
        }
        return;  // this thread's first is enough
      }
    });
    if (first.empty()) first = err;
  }
  c.job.agree(first, io::kUsageExit);
}

DatasetDirectories::DatasetDirectories(const RankContext& c) {
  const io::Layout& layout = c.request.layout;
  std::string err;
  if (c.job.rank() == 0) {
    if (mkdir(layout.path.c_str(), 0755) == 0) {
      made_.push_back(layout.path);
    } else if (errno != EEXIST) {
      err = "--output " + layout.path + ": cannot create it: " + std::strerror(errno);
    }
    for (const std::string& d : io::dataset_directories(layout)) {
      if (!err.empty() || stop_signal() != 0) break;  // a stop is acted on at once
      if (mkdir(d.c_str(), 0755) == 0) {
        made_.push_back(d);
      } else if (errno != EEXIST) {
        err = "--output " + layout.path + ": cannot create " + d + ": " + std::strerror(errno);
      }
    }
    if (err.empty()) {
      // --duration: what a minimal run needs (a file per thread of every rank), not every file.
      unsigned __int128 need = io::stream_length(layout, c.job.size());
      if (c.request.storage.duration > 0) {
        need = std::min<unsigned __int128>(need, static_cast<unsigned __int128>(layout.file_size) *
                                                     static_cast<unsigned>(c.team.size()) *
                                                     static_cast<unsigned>(c.job.size()));
      }
      err = space_problem(layout.path, layout.path,
                          need > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(need));
    }
    // In place the files are written under their final names: one writer at a time.
    if (err.empty() && c.request.storage.in_place)
      lock_ = io::WriteLock::take("--output", layout.path, err);
  }
  try {
    c.job.agree(err, io::kUsageExit);
  } catch (const JobFailure&) {
    remove_empty();
    throw;
  }
}

DatasetDirectories::~DatasetDirectories() {
  if (!complete_) remove_empty();
}

void DatasetDirectories::remove_empty() noexcept {
  for (auto d = made_.rbegin(); d != made_.rend(); ++d) rmdir(d->c_str());
  made_.clear();
}

InputFiles check_inputs(const RankContext& c, const io::ExtentList& extents, bool verify) {
  const io::Layout& layout = c.request.layout;
  std::string err, first_missing;
  int code = io::kUsageExit;
  InputFiles found;
  std::uint64_t present = 0;  // files of this rank's share that are there
  std::uint64_t checked = UINT64_MAX;
  for (const io::Extent& e : extents) {
    if (e.file == checked) continue;
    checked = e.file;
    const std::string path = io::file_path(layout, e.file);
    const io::Target t = io::inspect_target(path);
    const std::uint64_t expected = io::file_length(layout, e.file, c.job.size());
    if (t.kind == io::TargetKind::kMissing) {
      const int why = t.error ? t.error : ENOENT;
      // A file that is not there is what --verify exists to find; another error (no
      // permission on a directory on the way) is not.
      if (verify && why == ENOENT) {
        found.short_files.push_back({e.file, 0, false});
        if (first_missing.empty())
          first_missing = "--input " + path + ": cannot open: " + std::strerror(ENOENT);
        continue;
      }
      err = "--input " + path + ": cannot open: " + std::strerror(why);
      code = io::exit_code_for_errno(why);
      break;
    }
    if (t.kind == io::TargetKind::kDirectory) {
      err = "--input " + path + ": is a directory" +
            (layout.kind == io::LayoutKind::kDataset ? "" : " (a dataset needs --files N)");
      break;
    }
    if (t.kind != io::TargetKind::kRegular && t.kind != io::TargetKind::kBlockDevice) {
      // Opening a FIFO would wait for a writer; a character device has no length to check.
      err = "--input " + path + ": is " + io::describe(t.kind) +
            "; --input reads regular files and block devices";
      break;
    }
    if (t.kind == io::TargetKind::kBlockDevice && t.error != 0) {
      err = "--input " + path + ": cannot read its size: " + std::strerror(t.error);
      code = io::exit_code_for_errno(t.error);
      break;
    }
    ++present;
    if (found.probe.empty()) found.probe = path;
    if (t.size < expected) {
      // A regular file cut short: --verify compares what it holds and names the rest missing.
      if (verify && t.kind == io::TargetKind::kRegular) {
        found.short_files.push_back({e.file, t.size, true});
        continue;
      }
      err = "--input " + path + ": " + std::to_string(expected) + " bytes expected (" +
            format_size(expected) + "), " + std::to_string(t.size) + " found";
      break;
    }
    // A longer regular file holds bytes the stream does not give it: --verify names them, once,
    // by the rank whose share ends the file.
    const bool ends_here = e.file_offset + e.length == expected;
    if (t.kind == io::TargetKind::kRegular && t.size > expected && ends_here)
      found.longer.push_back({e.file, expected, t.size});
  }
  if (verify) {
    // No file of the layout at all: a wrong path, not data to verify.
    std::uint64_t job_present = 0;
    check(MPI_Allreduce(&present, &job_present, 1, MPI_UINT64_T, MPI_SUM, c.job.world()),
          "MPI_Allreduce");
    if (err.empty() && job_present == 0 && !first_missing.empty()) {
      err = first_missing + " (no file of the " + io::to_string(layout.kind) +
            " is there: nothing to verify)";
    }
  }
  c.job.agree(err, code);
  return found;
}

std::vector<io::Extent> present_extents(const io::ExtentList& extents,
                                        const std::vector<ShortFile>& short_files,
                                        std::uint64_t granule,
                                        std::vector<verify::Mismatch>& missing) {
  std::vector<io::Extent> out;
  for (const io::Extent& e : extents) {
    const auto f = std::find_if(short_files.begin(), short_files.end(),
                                [&](const ShortFile& x) { return x.file == e.file; });
    if (f == short_files.end()) {
      out.push_back(e);
      continue;
    }
    const std::uint64_t end = e.file_offset + e.length;
    if (f->present >= end) {
      out.push_back(e);
      continue;
    }
    // [file_offset, present) is compared (with --direct up to the alignment's multiple);
    // [max(file_offset, present), end) is missing.
    const std::uint64_t from = std::max(e.file_offset, f->present);
    verify::Mismatch m;
    m.offset = e.stream_offset + (from - e.file_offset);
    m.length = end - from;
    m.holds = f->exists ? "truncated" : "missing";
    m.file = e.file;
    m.file_offset = from;
    missing.push_back(m);
    std::uint64_t keep = from - e.file_offset;
    if (granule > 1) {
      const std::uint64_t aligned = (e.file_offset + keep) / granule * granule;
      keep = aligned > e.file_offset ? aligned - e.file_offset : 0;
    }
    if (keep > 0) out.push_back({e.file, e.file_offset, e.stream_offset, keep});
  }
  return out;
}

}  // namespace dgen::mpi
