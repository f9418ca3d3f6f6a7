#include "storage/inputs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dgen/size.hpp"
#include "io/backend.hpp"
#include "io/target.hpp"

namespace dgen::storage {

InputCheck inspect_inputs(io::Backend& backend, const io::Layout& layout,
                          const io::ExtentList& extents, int ranks, bool verify) {
  InputCheck check;
  std::string& err = check.error;
  std::string& first_missing = check.first_missing;
  int& code = check.code;
  InputFiles& found = check.files;
  std::uint64_t& present = check.present;
  std::uint64_t checked = UINT64_MAX;
  for (const io::Extent& e : extents) {
    if (e.file == checked) continue;
    checked = e.file;
    const std::string path = io::file_path(layout, e.file);
    io::Target t = io::inspect_target(path);
    const std::uint64_t expected = io::file_length(layout, e.file, ranks);
    if (t.kind == io::TargetKind::kRegular) {
      try {
        t.size = backend.stream_bytes(path, t.size);
      } catch (const io::IoError& x) {
        err = std::string("--input ") + x.what();
        break;
      }
    }
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
  return check;
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

}  // namespace dgen::storage
