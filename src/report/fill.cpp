#include "report/fill.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "core/text.hpp"
#include "io/layout.hpp"
#include "report/lists.hpp"

namespace dgen::report {

namespace {

// Appends numbers, strings and lists to a byte string; Reader takes them back in order.
struct Writer {
  std::string out;
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put(const std::string& s) {
    put(static_cast<std::uint64_t>(s.size()));
    out += s;
  }
  template <class T>
  void put(const std::vector<T>& v) {
    put(static_cast<std::uint64_t>(v.size()));
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
};

struct Reader {
  std::string_view in;
  void need(std::size_t n) const {
    if (in.size() < n) throw std::invalid_argument("a rank's row is short");
  }
  template <class T>
  void get(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof v);
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
  }
  std::size_t count(std::size_t each) {
    std::uint64_t n = 0;
    get(n);
    if (n > in.size() / each) throw std::invalid_argument("a rank's row is short");
    return static_cast<std::size_t>(n);
  }
  void get(std::string& s) {
    const std::size_t n = count(1);
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
  }
  template <class T>
  void get(std::vector<T>& v) {
    v.resize(count(sizeof(T)));
    if (v.empty()) return;  // data() may be null: memcpy must not see it (UBSan)
    std::memcpy(v.data(), in.data(), v.size() * sizeof(T));
    in.remove_prefix(v.size() * sizeof(T));
  }
};

// The row's fields in one order for both directions.
template <class Io, class Row>
void fields_of(Io& io, Row& r) {
  io.put_or_get(r.rank, r.local_rank, r.host, r.numa_node, r.memory_nodes, r.cpus, r.threads,
                r.binding, r.simd, r.seconds, r.bytes, r.gbps, r.memset_gbps, r.streaming_gbps,
                r.baseline_gbps, r.first_touch_seconds, r.generate_seconds, r.io_seconds,
                r.wall_moved, r.wall_bytes, r.notice_seconds, r.pages_unknown, r.oversubscribed);
}

struct Packing : Writer {
  template <class... T>
  void put_or_get(const T&... v) {
    (put(v), ...);
  }
};

struct Unpacking : Reader {
  template <class... T>
  void put_or_get(T&... v) {
    (get(v), ...);
  }
};

}  // namespace

std::string pack(const RankResult& row) {
  Packing p;
  fields_of(p, row);
  // The locality, when known: a flag and the fraction.
  p.put(static_cast<std::uint8_t>(row.local_fraction.has_value()));
  p.put(row.local_fraction.value_or(0.0));
  return std::move(p.out);
}

RankResult unpack_rank_result(std::string_view bytes) {
  RankResult row;
  Unpacking u;
  u.in = bytes;
  fields_of(u, row);
  std::uint8_t known = 0;
  double fraction = 0;
  u.get(known);
  u.get(fraction);
  if (known) row.local_fraction = fraction;
  if (!u.in.empty()) throw std::invalid_argument("a rank's row is longer than its fields");
  return row;
}

Storage storage_section(const mpi::RunRequest& req, int ranks) {
  Storage s;
  const io::Layout& layout = req.layout;
  const bool dataset = layout.kind == io::LayoutKind::kDataset;
  s.path = layout.path;
  s.layout = io::to_string(layout.kind);
  s.files = io::file_count(layout, ranks);
  s.file_size = dataset ? layout.file_size
                : layout.kind == io::LayoutKind::kFilePerRank
                    ? req.size
                    : req.size * static_cast<std::uint64_t>(ranks);
  if (dataset) s.files_per_dir = layout.files_per_dir;
  s.io = req.storage.io;
  s.iodepth = req.storage.iodepth;
  if (auto c = req.storage.engine_options.find("collective"); c != req.storage.engine_options.end())
    s.collective = c->second == "on";
  s.transfer = req.storage.transfer;
  s.direct = req.storage.direct;
  s.fsync = req.output && req.storage.fsync;
  s.in_place = req.storage.in_place;
  s.reorder = req.storage.reorder;
  s.pattern = io::to_string(req.storage.pattern);
  if (req.storage.pattern == io::Pattern::kRandom) s.order_seed = req.storage.order_seed;
  if (req.storage.pattern == io::Pattern::kStrided) {
    s.segments = layout.segments;
    s.block = layout.block;
  }
  if (req.storage.duration > 0) s.duration = req.storage.duration;
  s.wear_out = req.storage.wear_out;
  s.unique_dir = dataset && layout.unique_dirs;
  s.verify = req.verify;
  s.resume = req.storage.resume;
  s.phases = req.storage.phases;
  return s;
}

std::vector<std::string> merged_warnings(const std::vector<std::string>& blocks,
                                         const std::vector<RankResult>& ranks) {
  std::vector<std::string> texts;
  std::vector<std::vector<int>> from;
  for (std::size_t r = 0; r < blocks.size(); ++r) {
    for (auto& line : lines_of(blocks[r])) {
      const auto at = std::find(texts.begin(), texts.end(), line);
      const std::size_t i = static_cast<std::size_t>(at - texts.begin());
      if (at == texts.end()) {
        texts.push_back(line);
        from.emplace_back();
      }
      if (from[i].empty() || from[i].back() != static_cast<int>(r))
        from[i].push_back(static_cast<int>(r));
    }
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::vector<std::string> hosts;
    for (int r : from[i]) {
      const std::string host =
          r < static_cast<int>(ranks.size()) ? ranks[static_cast<std::size_t>(r)].host : "?";
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    }
    std::string who = from[i].size() == 1 ? "rank " : "ranks ";
    for (const char c : range_list(from[i]))
      who += c == ',' ? std::string(", ") : std::string(1, c);
    who +=
        hosts.size() == 1 ? " (" + hosts[0] + ")" : " (" + std::to_string(hosts.size()) + " hosts)";
    out.push_back(who + ": " + texts[i]);
  }
  return out;
}

namespace {

// Of the complete iterations: a figure's statistics.
template <class Figure>
Statistics over_complete(const std::vector<IterationResult>& its, Figure figure) {
  std::vector<double> values;
  for (const auto& it : its) {
    if (it.complete) values.push_back(figure(it));
  }
  return statistics_of(values);
}

void finish_baseline(Report& rep) {
  Baseline& b = *rep.baseline;
  for (const auto& it : b.memset_iterations)
    b.memset_gbps = std::max(b.memset_gbps, it.aggregate_gbps);
  for (const auto& it : b.streaming_iterations)
    b.streaming_gbps = std::max(b.streaming_gbps, it.aggregate_gbps);
  b.kind = b.streaming_gbps > b.memset_gbps ? "streaming" : "memset";
  b.aggregate_gbps = std::max(b.memset_gbps, b.streaming_gbps);
  b.ratio = b.aggregate_gbps > 0 ? rep.summary.max / b.aggregate_gbps : 0;
  for (auto& k : rep.per_rank) k.baseline_gbps = std::max(k.memset_gbps, k.streaming_gbps);
}

}  // namespace

void finish(Report& rep, const mpi::RunRequest& req, const RunEnd& end) {
  const bool dataset = req.layout.kind == io::LayoutKind::kDataset;
  const auto ranks = static_cast<std::uint64_t>(end.ranks);
  rep.spec = req.spec;
  rep.bytes_per_rank = rep.analyze ? rep.analyze->bytes / ranks
                       : dataset && rep.storage
                           ? io::rank_bytes(req.layout, end.ranks - 1, end.ranks)  // the largest
                           : req.size;
  rep.total_bytes = rep.analyze ? rep.analyze->bytes
                    : rep.storage
                        ? static_cast<std::uint64_t>(io::stream_length(req.layout, end.ranks))
                        : req.size * ranks;
  rep.ranks = end.ranks;
  rep.nodes = end.nodes;
  rep.simd = end.simd;
  rep.stop_signal = end.stop_signal;
  rep.complete = end.stop_signal == 0;
  if (!rep.complete && req.output && (req.keep_partial || dataset || end.bytes_kept > 0))
    rep.bytes_kept = end.bytes_kept;
  rep.output_state = end.output_state;
  rep.resume = end.resume;
  for (const auto& row : end.rank_rows) rep.per_rank.push_back(unpack_rank_result(row));
  for (const auto& k : rep.per_rank) {
    rep.threads = std::max(rep.threads, k.threads);
    rep.first_touch_seconds = std::max(rep.first_touch_seconds, k.first_touch_seconds);
    if (k.simd != rep.simd) rep.simd = "mixed";
    rep.oversubscribed = rep.oversubscribed || k.oversubscribed;
  }
  // One line per distinct warning, with the ranks that gave it (not one per rank).
  rep.warnings = merged_warnings(end.warning_blocks, rep.per_rank);
  rep.summary = over_complete(rep.iterations, [](const auto& it) { return it.aggregate_gbps; });
  if (rep.storage && dataset) {
    rep.files_summary =
        over_complete(rep.iterations, [](const auto& it) { return it.files_per_second; });
  }
  if (rep.baseline) finish_baseline(rep);
}

}  // namespace dgen::report
