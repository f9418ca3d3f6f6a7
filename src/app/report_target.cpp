#include "app/report_target.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "io/layout.hpp"
#include "io/partials.hpp"
#include "io/target.hpp"
#include "storage/report_file.hpp"

namespace dgen::app {

namespace {

namespace fs = std::filesystem;

fs::path canonical_of(const std::string& path) {
  std::error_code ec;
  const std::string followed = io::follow_links(path);  // a link that names no file yet too
  fs::path p = fs::weakly_canonical(fs::absolute(followed, ec), ec);
  return ec ? fs::absolute(followed) : p;
}

// Whether `inner` is `outer` or lies below it.
bool inside(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

// A path the run touches, and how the message names it.
struct Touched {
  std::string path;
  std::string role;  ///< "the --input file", "the --output dataset directory", ...
  bool directory = false;
  std::string lost = "the data";  ///< what writing there would replace
};

}  // namespace

std::string report_problem(const std::string& option_name, const std::string& report,
                           const mpi::RunRequest& request, int ranks,
                           const std::string& report_file) {
  std::vector<Touched> touched;
  if (!report_file.empty())
    touched.push_back({report_file, "the --report file", false, "the report"});
  const io::Layout& layout = request.layout;
  const bool storage = request.output || request.input;
  const std::string option = request.output ? "--output" : "--input";
  const std::string what =
      option_name == "--report" ? "the report" : "the " + option_name + " file";
  if (storage && layout.path != "-") {
    if (layout.kind == io::LayoutKind::kDataset) {
      touched.push_back({layout.path, "the " + option + " dataset directory", true});
    } else if (layout.kind == io::LayoutKind::kFilePerRank) {
      // PATH.00000000 ... : each rank's file, named PATH.%08d (IOR -F).
      const fs::path mine = canonical_of(report), base = canonical_of(layout.path);
      const std::string name = mine.filename().string(), prefix = base.filename().string() + ".";
      if (mine.parent_path() == base.parent_path() && name.size() == prefix.size() + 8 &&
          name.rfind(prefix, 0) == 0 &&
          name.find_first_not_of("0123456789", prefix.size()) == std::string::npos &&
          std::stoull(name.substr(prefix.size())) < static_cast<unsigned long long>(ranks)) {
        return option_name + " " + report + ": is " + option + " file " +
               name.substr(prefix.size()) + " of the file-per-rank layout " + layout.path + "; " +
               what + " would replace the data: give it another path";
      }
      for (int r = 0; r < std::min(ranks, 64); ++r)  // hard links and links to them
        touched.push_back({io::file_path(layout, static_cast<std::uint64_t>(r)),
                           "a " + option + " file of rank " + std::to_string(r), false});
    } else {
      touched.push_back({layout.path, "the " + option + " file", false});
    }
  }
  if (request.analyze) {
    for (const auto& p : request.analyze->paths) {
      struct stat st {};
      const bool dir = stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      touched.push_back({p, std::string("an --analyze ") + (dir ? "directory" : "path"), dir});
    }
  }
  const fs::path mine = canonical_of(report);
  struct stat rs {};
  const bool report_exists = stat(report.c_str(), &rs) == 0;
  for (const Touched& t : touched) {
    struct stat ts {};
    const bool same_inode = report_exists && stat(t.path.c_str(), &ts) == 0 &&
                            ts.st_dev == rs.st_dev && ts.st_ino == rs.st_ino;
    const fs::path theirs = canonical_of(t.path);
    const std::string name = theirs.filename().string();
    const std::string report_name = mine.filename().string();
    // The temporary name of an output file: NAME.dgen-partial-*.
    const bool temporary = request.output && mine.parent_path() == theirs.parent_path() &&
                           report_name.rfind(name + io::kPartialMark, 0) == 0;
    if (same_inode || mine == theirs || temporary || (t.directory && inside(mine, theirs))) {
      return option_name + " " + report + ": is " +
             (t.directory && mine != theirs ? "inside " : "") + t.role + " " + t.path + "; " +
             what + " would replace " + t.lost + ": give it another path";
    }
  }
  if (const std::string why = storage::report_path_problem(report); !why.empty())
    return option_name + " " + report + ": " + why;
  return "";
}

}  // namespace dgen::app
