// Kernel benchmarks: every SIMD target against memset of the same buffer and against the peer's
// kernel (scalar Xoshiro256++ over 1 MiB blocks). Results go to docs/performance.md as ratios
// measured in one run; absolute GB/s on a shared machine are noisy.
//
//   build/bench/dgen_bench_kernels --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <omp.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#if DGEN_BENCH_ANALYZE
#include "analyze/scan.hpp"
#include "analyze/xxh3_targets.hpp"
#endif
#include "verify/compare.hpp"
#include "verify/decode.hpp"

namespace {

constexpr std::size_t kCacheBuffer = 256 << 10;  // fits the L2 of current x86 cores
constexpr std::size_t kDramBuffer = std::size_t{1} << 30;

struct PageBuffer {
  explicit PageBuffer(std::size_t n) : size(n) {
    data = static_cast<std::byte*>(
        mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (data == MAP_FAILED) throw std::bad_alloc();
    std::memset(data, 1, n);  // fault every page in before timing
  }
  ~PageBuffer() { munmap(data, size); }
  std::byte* data;
  std::size_t size;
};

void SetBytes(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_Generate(benchmark::State& state, dgen::SimdTarget target, dgen::DataSpec spec) {
  spec.dedup_unit = static_cast<std::uint64_t>(state.range(0));
  const dgen::Generator gen(spec, target);
  PageBuffer buf(kCacheBuffer);
  std::uint64_t offset = 0;
  for (auto _ : state) {
    gen.generate(offset, {buf.data, buf.size});
    offset += buf.size;
    benchmark::ClobberMemory();
  }
  SetBytes(state, buf.size);
}

void BM_Memset(benchmark::State& state) {
  PageBuffer buf(kCacheBuffer);
  int v = 0;
  for (auto _ : state) {
    std::memset(buf.data, ++v, buf.size);
    benchmark::ClobberMemory();
  }
  SetBytes(state, buf.size);
}
BENCHMARK(BM_Memset)->Name("cache/memset");

// --verify's work per byte read, in cache: regenerate the range piece by piece and compare it
// with what was read (dgen::verify::compare_with_stream, as the read path runs it), against
// generation alone.
void BM_Verify(benchmark::State& state) {
  const dgen::DataSpec spec;
  const dgen::Generator gen(spec);
  const dgen::verify::LaneDecoder decoder(spec, std::uint64_t{1} << 40);
  PageBuffer got(kCacheBuffer), want(dgen::verify::kComparePiece);
  gen.generate(0, {got.data, got.size});
  dgen::verify::MismatchLog log;
  for (auto _ : state) {
    dgen::verify::compare_with_stream(gen, log, got.data, got.size, 0, 0, 0, want.data, decoder);
    benchmark::ClobberMemory();
  }
  if (log.wrong_bytes() != 0) state.SkipWithError("the stream differs from itself");
  SetBytes(state, got.size);
}
BENCHMARK(BM_Verify)->Name("cache/verify");

// The peer's kernel: scalar Xoshiro256++ reseeded per 1 MiB block (seed + block index).
struct Xoshiro256pp {
  std::uint64_t s[4];
  explicit Xoshiro256pp(std::uint64_t seed) {
    for (auto& w : s) {
      std::uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      w = z ^ (z >> 31);
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[0] + s[3], 23) + s[0];
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

void BM_Xoshiro(benchmark::State& state) {
  PageBuffer buf(kCacheBuffer);
  std::uint64_t block = 0;
  for (auto _ : state) {
    // 1 MiB blocks as the peer does; the buffer holds a quarter of one, so reseed every 4th.
    Xoshiro256pp rng(42 + block / 4);
    auto* p = reinterpret_cast<std::uint64_t*>(buf.data);
    for (std::size_t i = 0; i < buf.size / 8; ++i) p[i] = rng.next();
    ++block;
    benchmark::ClobberMemory();
  }
  SetBytes(state, buf.size);
}
BENCHMARK(BM_Xoshiro)->Name("cache/xoshiro256pp_1MiB_blocks");

// DRAM: a 1 GiB buffer filled by `threads` threads with a static partition, as the program does.
void BM_DramGenerate(benchmark::State& state, dgen::StoreMode mode) {
  const int threads = static_cast<int>(state.range(0));
  const dgen::Generator gen(dgen::DataSpec{});
  PageBuffer buf(kDramBuffer);
  std::uint64_t offset = 0;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      const std::size_t part = buf.size / threads;
      const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
      gen.generate(offset + t * part, {buf.data + t * part, part}, mode);
    }
    offset += buf.size;
  }
  SetBytes(state, buf.size);
}
BENCHMARK_CAPTURE(BM_DramGenerate, streaming, dgen::StoreMode::kStreaming)
    ->Name("dram/generate_streaming")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DramGenerate, cached, dgen::StoreMode::kCached)
    ->Name("dram/generate_cached")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

void BM_DramMemset(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  PageBuffer buf(kDramBuffer);
  int v = 0;
  for (auto _ : state) {
    ++v;
#pragma omp parallel num_threads(threads)
    {
      const std::size_t part = buf.size / threads;
      const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
      std::memset(buf.data + t * part, v, part);
    }
  }
  SetBytes(state, buf.size);
}
BENCHMARK(BM_DramMemset)->Name("dram/memset")->Arg(1)->Arg(2)->UseRealTime();

#if DGEN_BENCH_ANALYZE
// --analyze's work per byte in cache: XXH3-128 per 4 KiB unit for each compiled variant (the
// chosen one is what the scan uses), the scan at the six default unit sizes with nothing
// compressed (dedup only), and the scan at one unit size compressing every unit and chunk.
void BM_Fingerprint(benchmark::State& state, dgen::analyze::Xxh3Target target) {
  PageBuffer buf(kCacheBuffer);
  const dgen::Generator gen(dgen::DataSpec{}, dgen::best_simd_target());
  gen.generate(0, {buf.data, buf.size});
  std::uint64_t sink = 0;
  for (auto _ : state) {
    for (std::size_t at = 0; at < buf.size; at += 4096) {
      std::uint64_t hi = 0, lo = 0;
      target.hash(buf.data + at, 4096, &hi, &lo);
      sink += hi ^ lo;
    }
    benchmark::DoNotOptimize(sink);
  }
  SetBytes(state, buf.size);
}

void BM_AnalyzeScan(benchmark::State& state, std::vector<std::uint64_t> units, double sample) {
  PageBuffer buf(kCacheBuffer);
  dgen::DataSpec spec;
  spec.dedup_ratio = 2;
  spec.compress_ratio = 2;
  const dgen::Generator gen(spec, dgen::best_simd_target());
  gen.generate(0, {buf.data, buf.size});
  dgen::analyze::ScanSettings settings;
  settings.units = std::move(units);
  settings.chunk = kCacheBuffer;
  settings.sample = sample;
  dgen::analyze::Scanner scanner(settings);
  std::vector<dgen::analyze::LevelTally> levels;
  dgen::analyze::LevelTally chunks;
  std::vector<dgen::analyze::UnitRecord> out;
  for (auto _ : state) {
    out.clear();
    scanner.scan(buf.data, buf.size, levels, chunks, out);
    benchmark::DoNotOptimize(out.data());
  }
  SetBytes(state, buf.size);
}

#endif

void RegisterTargetBenchmarks() {
#if DGEN_BENCH_ANALYZE
  for (const auto& t : dgen::analyze::xxh3_targets()) {
    if (t.supported)
      benchmark::RegisterBenchmark((std::string("cache/fingerprint4k/") + t.name).c_str(),
                                   BM_Fingerprint, t);
  }
  benchmark::RegisterBenchmark("cache/analyze_scan/6units_dedup_only", BM_AnalyzeScan,
                               std::vector<std::uint64_t>{4096, 8192, 16384, 32768, 65536, 131072},
                               0.0);
  benchmark::RegisterBenchmark("cache/analyze_scan/4k_dedup_only", BM_AnalyzeScan,
                               std::vector<std::uint64_t>{4096}, 0.0);
  benchmark::RegisterBenchmark("cache/analyze_scan/128k_compress_all", BM_AnalyzeScan,
                               std::vector<std::uint64_t>{131072}, 1.0);
#endif
  for (const auto& target : dgen::compiled_simd_targets()) {
    if (!target.supported) continue;
    auto* b = benchmark::RegisterBenchmark(("cache/generate/" + target.name).c_str(), BM_Generate,
                                           target, dgen::DataSpec{});
    for (std::int64_t unit : {512, 1024, 4096, 65536, 1 << 20}) b->Arg(unit);
  }
  const auto best = dgen::best_simd_target();
  for (double d : {2.0, 5.0}) {
    dgen::DataSpec spec;
    spec.dedup_ratio = d;
    benchmark::RegisterBenchmark(("cache/generate_dedup" + std::to_string(int(d))).c_str(),
                                 BM_Generate, best, spec)
        ->Arg(4096);
  }
  for (double c : {2.0, 4.0, 8.0}) {
    dgen::DataSpec spec;
    spec.compress_ratio = c;
    benchmark::RegisterBenchmark(("cache/generate_compress" + std::to_string(int(c))).c_str(),
                                 BM_Generate, best, spec)
        ->Arg(4096);
  }
}

}  // namespace

int main(int argc, char** argv) {
  RegisterTargetBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
