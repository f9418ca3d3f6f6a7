#include "storage/file_facts.hpp"

#include <algorithm>
#include <cstdint>

namespace dgen::storage {

// "a (12 bytes), b (34 bytes)": every file, or for many the first three, the last, how many and
// the shortest and longest (the report's file_lengths lists each).
std::string list_files(const std::vector<FileFact>& files) {
  auto one = [](const FileFact& f) { return f.name + " (" + std::to_string(f.length) + " bytes)"; };
  std::string text;
  if (files.size() <= 4) {
    for (const FileFact& f : files) text += (text.empty() ? "" : ", ") + one(f);
    return text;
  }
  std::uint64_t shortest = UINT64_MAX, longest = 0;
  for (const FileFact& f : files) {
    shortest = std::min(shortest, f.length);
    longest = std::max(longest, f.length);
  }
  return one(files[0]) + ", " + one(files[1]) + ", " + one(files[2]) + ", ..., " +
         one(files.back()) + " (" + std::to_string(files.size()) + " files, " +
         std::to_string(shortest) + " to " + std::to_string(longest) + " bytes)";
}

// The job's sentence for files of their own (--file-per-rank), from every rank's: the partial
// files kept, by name and length; else each rank's sentence where they differ.
std::string per_rank_text(const std::vector<FileFact>& files, const std::string& what) {
  std::vector<FileFact> kept;
  std::string nothing;  // ranks whose file kept nothing
  int others = 0;
  for (std::size_t r = 0; r < files.size(); ++r) {
    const FileFact& f = files[r];
    if (f.state == "partial") {
      kept.push_back(f);
    } else if (f.state == "removed" || f.state == "untouched") {
      nothing += (nothing.empty() ? "" : ", ") + std::to_string(r);
    } else {
      ++others;
    }
  }
  if (others == 0 && !kept.empty()) {
    std::string text = "the partial outputs are kept under their temporary names (" + what +
                       "; --resume continues them): " + list_files(kept);
    if (!nothing.empty())
      text += "; rank " + nothing + " wrote nothing: its temporary file was removed";
    return text + "; nothing was created or changed at the final names";
  }
  bool same = true;
  for (const FileFact& f : files) same = same && f.text == files.front().text;
  if (same && !files.empty()) return files.front().text;
  std::string text;
  for (std::size_t r = 0; r < files.size(); ++r)
    text += (r ? "; " : "") + std::string("rank ") + std::to_string(r) + ": " + files[r].text;
  return text;
}

// What a time-bounded write (--duration) left, from each file's length on disk and the stream
// bytes written into it: cut where the wall stopped it, with holes where nothing was written (a
// thread's part not reached, another rank's, a random order's gaps).
std::string time_bounded_text(const std::vector<FileFact>& files, bool per_rank,
                              std::uint64_t length) {
  std::string holed;
  int holes = 0;
  for (const FileFact& f : files) {
    if (f.holds >= f.length) continue;
    if (++holes <= 4)
      holed += (holed.empty() ? "" : ", ") + f.name + " holds " + std::to_string(f.holds) +
               " of its " + std::to_string(f.length) + " bytes";
  }
  if (holes > 4) holed += ", and " + std::to_string(holes - 4) + " more";
  const std::string holes_text = holed.empty() ? "" : "; " + holed + ", the rest holes";
  if (!per_rank && files.size() == 1) {
    const FileFact& f = files.front();
    return f.name + " holds the stream where the time-bounded write (--duration) stopped: " +
           std::to_string(f.length) + " bytes long (the stream is " + std::to_string(length) +
           "), " + std::to_string(f.holds) + " bytes written at their offsets" +
           (f.holds < f.length ? ", the rest holes" : "");
  }
  return std::to_string(files.size()) +
         " files, each holds its rank's stream up to where the time-bounded write (--duration) "
         "stopped (a rank's stream is " +
         std::to_string(length) + " bytes): " + list_files(files) + holes_text;
}

}  // namespace dgen::storage
