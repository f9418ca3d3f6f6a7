#include "analyze/wire.hpp"

#include <nlohmann/json.hpp>

#include <cstring>

namespace dgen::analyze {

std::string pack_inputs(const Inputs& in) {
  std::string out;
  auto put = [&](std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(in.skipped);
  put(in.same_file_skipped);
  put(in.files.size());
  for (const auto& f : in.files) {
    put(f.size);
    put(f.path.size());
    out += f.path;
    put(f.sparse ? f.data.size() : ~0ULL);
    for (const auto& d : f.data) {
      put(d.begin);
      put(d.end);
    }
  }
  return out;
}

Inputs unpack_inputs(const std::string& text) {
  Inputs in;
  std::size_t at = 0;
  auto get = [&] {
    std::uint64_t v = 0;
    std::memcpy(&v, text.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  in.skipped = get();
  in.same_file_skipped = get();
  const std::uint64_t n = get();
  in.files.resize(n);
  for (auto& f : in.files) {
    f.size = get();
    const std::uint64_t len = get();
    f.path = text.substr(at, len);
    at += len;
    in.bytes += f.size;
    const std::uint64_t spans = get();
    f.sparse = spans != ~0ULL;
    if (f.sparse) {
      f.data.resize(spans);
      for (auto& d : f.data) {
        d.begin = get();
        d.end = get();
      }
    }
  }
  return in;
}

std::string pack_unreadable(const std::vector<Unreadable>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : list)
    out.push_back({u.path, u.what, u.error, u.message, u.order, u.in_walk, u.offset});
  return out.dump();
}

void unpack_unreadable(const std::string& text, std::vector<Unreadable>& into) {
  for (const auto& j : nlohmann::json::parse(text)) {
    Unreadable u;
    u.path = j[0];
    u.what = j[1];
    u.error = j[2];
    u.message = j[3];
    u.order = j[4];
    u.in_walk = j[5];
    u.offset = j[6];
    into.push_back(std::move(u));
  }
}

void FlatSums::add(const SampleSums& s) {
  u.insert(u.end(), {s.blocks, s.groups, s.bytes, s.packed[0], s.packed[1], s.packed[2]});
  w.insert(w.end(), {s.xx, s.yy[0], s.yy[1], s.yy[2], s.xy[0], s.xy[1], s.xy[2]});
  w.insert(w.end(), {s.xx1, s.yy1[0], s.yy1[1], s.yy1[2], s.xy1[0], s.xy1[1], s.xy1[2]});
}

void FlatSums::add(const LevelTally& t) {
  u.insert(u.end(), {t.units, t.bytes, t.zero_units, t.zero_bytes, t.zero_packed[0],
                     t.zero_packed[1], t.zero_packed[2]});
  add(t.sample);
}

void FlatSums::add(const DistinctSums& d) {
  u.insert(u.end(), {d.units, d.bytes});
  w.push_back(d.bytes_squared);
  add(d.compressed);
}

SampleSums FlatReader::sample() {
  SampleSums s;
  s.blocks = *u++;
  s.groups = *u++;
  s.bytes = *u++;
  for (auto& p : s.packed) p = *u++;
  s.xx = *w++;
  for (auto& y : s.yy) y = *w++;
  for (auto& x : s.xy) x = *w++;
  s.xx1 = *w++;
  for (auto& y : s.yy1) y = *w++;
  for (auto& x : s.xy1) x = *w++;
  return s;
}

LevelTally FlatReader::tally() {
  LevelTally t;
  t.units = *u++;
  t.bytes = *u++;
  t.zero_units = *u++;
  t.zero_bytes = *u++;
  for (auto& p : t.zero_packed) p = *u++;
  t.sample = sample();
  return t;
}

DistinctSums FlatReader::distinct() {
  DistinctSums d;
  d.units = *u++;
  d.bytes = *u++;
  d.bytes_squared = *w++;
  d.compressed = sample();
  return d;
}

std::vector<std::uint64_t> halves_of(const std::vector<WideSum>& w) {
  std::vector<std::uint64_t> halves;
  for (WideSum v : w) {
    halves.push_back(static_cast<std::uint64_t>(v >> 64));
    halves.push_back(static_cast<std::uint64_t>(v));
  }
  return halves;
}

std::vector<WideSum> sum_halves(const std::vector<std::uint64_t>& every, std::size_t count) {
  std::vector<WideSum> sums(count, 0);
  const std::size_t per_rank = 2 * count;
  for (std::size_t at = 0; at < every.size(); at += 2) {
    const std::size_t i = (at % per_rank) / 2;
    sums[i] += static_cast<WideSum>(every[at]) << 64 | every[at + 1];
  }
  return sums;
}

}  // namespace dgen::analyze
