#include "storage/direct_rules.hpp"

#include "dgen/size.hpp"

namespace dgen::storage {

namespace {

std::string multiple_rule(const char* option, std::uint64_t value, const io::DirectAlignment& a,
                          const std::string& where) {
  if (value % a.offset == 0) return "";
  return std::string("--direct: ") + option + " " + std::to_string(value) +
         " is not a multiple of " + format_size(a.offset) + ", the direct-I/O alignment of " +
         where + " (" + a.source + ")";
}

}  // namespace

std::string direct_problem(const DirectSizes& sizes, const std::string& probe_path, bool existing,
                           io::DirectAlignment& a) {
  std::string err =
      existing ? io::probe_direct_existing(probe_path, a) : io::probe_direct_io(probe_path, a);
  if (!err.empty()) err = "--direct: " + err;
  if (err.empty()) err = multiple_rule("--transfer", sizes.transfer, a, probe_path);
  if (err.empty() && sizes.layout.kind == io::LayoutKind::kDataset)
    err = multiple_rule("--file-size", sizes.layout.file_size, a, probe_path);
  if (err.empty() && sizes.layout.kind != io::LayoutKind::kDataset)
    err = multiple_rule("--size", sizes.size, a, probe_path);
  // A strided file's thread parts start where its block's transfers do.
  if (err.empty() && sizes.layout.block > 0)
    err = multiple_rule("--block", sizes.layout.block, a, probe_path);
  return err;
}

}  // namespace dgen::storage
