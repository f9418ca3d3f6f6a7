#include "mpi/request.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "dgen/size.hpp"

namespace dgen::mpi {

namespace {
std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> RunRequest::shared_options() const {
  auto on = [](bool b) { return std::string(b ? "on" : "off"); };
  std::vector<std::pair<std::string, std::string>> shared = {
      {"--size", std::to_string(size) + " (" + format_size(size) + ")"},
      {"--seed", std::to_string(spec.seed)},
      {"--dedup-ratio", exact(spec.dedup_ratio)},
      {"--dedup-unit", std::to_string(spec.dedup_unit)},
      {"--compress-ratio", exact(spec.compress_ratio)},
      {"--compress-fill", std::string(to_string(spec.compress_fill))},
      {"--iterations", std::to_string(iterations)},
      {"--output", output.value_or("(none)")},
      {"--input", input.value_or("(none)")},
      {"--layout", io::to_string(layout.kind)},
      {"--files", std::to_string(layout.files)},
      {"--file-size", std::to_string(layout.file_size)},
      {"--files-per-dir", std::to_string(layout.files_per_dir)},
      {"--io", storage.io},
      {"--iodepth", std::to_string(storage.iodepth)},
      {"--transfer", std::to_string(storage.transfer)},
      {"--direct", on(storage.direct)},
      {"--fsync", on(storage.fsync)},
      {"--in-place", on(storage.in_place)},
      {"--overwrite", on(storage.overwrite)},
      {"--resume", on(storage.resume)},
      {"--reorder", on(storage.reorder)},
      {"--pattern", io::to_string(storage.pattern)},
      {"--segments", std::to_string(layout.segments)},
      {"--block", std::to_string(layout.block)},
      {"--order-seed", std::to_string(storage.order_seed)},
      {"--duration", exact(storage.duration)},
      {"--wear-out", on(storage.wear_out)},
      {"--interval", exact(storage.interval)},
      {"--unique-dir", on(layout.unique_dirs)},
      {"--phases", [this] {
         std::string list;
         for (const auto& p : storage.phases) list += (list.empty() ? "" : ",") + p;
         return list.empty() ? std::string("(default)") : list;
       }()},
      {"--verify", on(verify)},
      {"--analyze", analyze ? [this] {
         std::string paths;
         for (const auto& p : analyze->paths) paths += (paths.empty() ? "" : " ") + p;
         return paths;
       }() : "(none)"},
      {"--analyze-units", analyze ? [this] {
         std::string list;
         for (auto u : analyze->units) list += (list.empty() ? "" : ",") + std::to_string(u);
         return list;
       }() : "(none)"},
      {"--analyze-chunk", analyze ? std::to_string(analyze->chunk) : "(none)"},
      {"--sample", analyze ? exact(analyze->sample) : "(none)"},
      {"--analyze-memory", analyze ? std::to_string(analyze->memory_per_rank) : "(none)"},
      {"--strict", analyze ? on(analyze->strict) : "(none)"},
      {"--max-mismatches", std::to_string(max_mismatches)},
      {"--keep-partial", on(keep_partial)},
      {"--baseline", on(baseline)},
      {"--bind", topology::to_string(bind)},
      {"--memory", topology::to_string(plan.memory)},
      {"--smt", on(plan.smt)},
      {"--hugepages", on(hugepages)},
      {"--strict-placement", on(strict_placement)},
      {"--timeout", exact(timeout_seconds)},
  };
  // The engine's own options after --io (which decides which there are), in the table's order.
  const auto after_io = std::find_if(shared.begin(), shared.end(),
                                     [](const auto& o) { return o.first == "--iodepth"; }) +
                        1;
  std::vector<std::pair<std::string, std::string>> engine;
  for (const auto& [name, value] : storage.engine_options) engine.emplace_back("--" + name, value);
  shared.insert(after_io, engine.begin(), engine.end());
  return shared;
}

}  // namespace dgen::mpi
