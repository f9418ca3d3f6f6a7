// The stream kernel, written once with Google Highway and compiled for every SIMD target
// (foreach_target.h re-includes this file once per target, as in hwy/examples/skeleton.cc).
// generate_kernel_vaes.cpp compiles it once more for AVX2 with 256-bit VAES rounds.
//
// Each 16-byte lane of random data is AES applied to a counter: the lane's index within its
// unit and the unique unit's number, XORed with a key from the seed, then kAesRounds AES
// rounds. A round is a permutation of 128-bit blocks for a fixed key, so distinct counters give
// distinct lanes: no two units of a stream can be equal (see docs/data-model.md).
// kernels/reference.cpp defines the same bytes in plain C++; tests hold every target to it.

#ifdef DGEN_KERNEL_VAES
// Highway 1.0 runs AVX2 AES rounds as two 128-bit halves; CPUs with VAES but no AVX-512 (AMD
// Zen 3-5 parts without it enabled, Intel Alder Lake and later) do a whole 256-bit vector at
// once, twice the speed. Only the AVX2 target (and Highway's obligatory fallback) is compiled;
// only the AVX2 one registers. Clang's baseline is EMU128, which must stay enabled there.
#if defined(__clang__)
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4 | HWY_AVX3 | HWY_AVX3_DL)
#else
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4 | HWY_AVX3 | HWY_AVX3_DL | HWY_EMU128)
#endif
#define DGEN_KERNEL_VARIANT vaes
#else
#define DGEN_KERNEL_VARIANT base
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/generate_kernel.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>

#include "core/stream_layout.hpp"
#include "kernels/kernel.hpp"
#include "kernels/reference.hpp"

HWY_BEFORE_NAMESPACE();
// GCC only: clang applies Highway's per-function target attribute and ignores this pragma, so
// clang builds (the sanitizer presets) have no avx2-vaes kernel.
#if defined(DGEN_KERNEL_VAES) && HWY_TARGET == HWY_AVX2 && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("vaes")
#define DGEN_USE_VAES 1
#else
#define DGEN_USE_VAES 0
#endif
namespace dgen::kernels::DGEN_KERNEL_VARIANT {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SCALAR

// HWY_SCALAR has one-byte vectors and no AESRound: the portable reference is this target.
void Generate(const detail::StreamLayout& l, std::uint64_t offset, std::size_t len,
              std::uint8_t* HWY_RESTRICT dst, bool /*streaming*/) {
  generate_reference(l, offset, len, dst);
}

void StreamFill(std::uint8_t* HWY_RESTRICT dst, std::size_t len, std::uint8_t value) {
  std::memset(dst, value, len);
}

#else

using D8 = hn::ScalableTag<std::uint8_t>;
using V8 = hn::Vec<D8>;

#if HWY_HAVE_SCALABLE
// SVE vectors are sizeless: no arrays or members of them. The keys stay in the layout's memory
// (L1) and each round loads its key.
struct Keys {
  explicit Keys(const detail::StreamLayout& l) : rk(l.round_keys) {}
  V8 operator[](int r) const { return hn::LoadDup128(D8(), rk[r]); }
  const std::uint8_t (*rk)[16];
};
#else
// Constructed explicitly: an implicit constructor would lack the target's attributes (GCC then
// refuses to inline the vectors' own constructors into it on NEON).
struct Keys {
  explicit Keys(const detail::StreamLayout& l) {
    for (int r = 0; r <= detail::kAesRounds; ++r) k[r] = hn::LoadDup128(D8(), l.round_keys[r]);
  }
  V8 operator[](int r) const { return k[r]; }
  V8 k[detail::kAesRounds + 1];
};
#endif

HWY_INLINE V8 AesRound(V8 state, V8 key) {
#if DGEN_USE_VAES
  return V8{_mm256_aesenc_epi128(state.raw, key.raw)};
#else
  return hn::AESRound(state, key);
#endif
}

// Adds counters held as u64 lanes of byte vectors.
HWY_INLINE V8 AddU64(V8 a, V8 b) {
  const hn::Repartition<std::uint64_t, D8> d64;
  return hn::BitCast(D8(), hn::Add(hn::BitCast(d64, a), hn::BitCast(d64, b)));
}

HWY_INLINE V8 Encrypt(const Keys& keys, V8 block) {
  auto x = hn::Xor(block, keys[0]);
  for (int r = 1; r <= detail::kAesRounds; ++r) x = AesRound(x, keys[r]);
  return x;
}

// Writes bytes [begin, begin + len) of unique unit `uid` to dst. Each block is its fill
// (block_size - random_bytes bytes) followed by its random bytes.
HWY_INLINE void UnitBytes(const Keys& keys, const detail::StreamLayout& l, std::uint64_t uid,
                          std::uint64_t begin, std::size_t len, std::uint8_t* HWY_RESTRICT dst,
                          bool streaming) {
  const D8 d8;
  const hn::Repartition<std::uint64_t, D8> d64;
  const hn::Repartition<std::uint32_t, D8> d32;
  const std::size_t N = hn::Lanes(d8);  // bytes per vector, a divisor of every block size
  // Counter vector: even u64 lanes hold the 16-byte lane's index in the unit, odd lanes the uid.
  const auto lane_iota = hn::ShiftRight<1>(hn::Iota(d64, 0));
  const auto uid_vec = hn::Set(d64, uid);
  const auto ctr_step = hn::OddEven(hn::Zero(d64), hn::Set(d64, N / 16));
  auto counter_at = [&](std::uint64_t o) {
    return hn::BitCast(d8, hn::OddEven(uid_vec, hn::Add(hn::Set(d64, o >> 4), lane_iota)));
  };
  auto fill_of_block = [&](std::uint64_t block) {
    if (!l.pattern_fill) return hn::Zero(d8);
    const auto word =
        Encrypt(keys, hn::BitCast(d8, hn::OddEven(uid_vec, hn::Set(d64, kPatternDomain | block))));
    return hn::BitCast(d8, hn::Set(d32, pattern_word(hn::GetLane(hn::BitCast(d32, word)))));
  };
  const std::uint64_t block_size = l.block_size;
  const std::uint64_t fill_bytes = block_size - l.random_bytes;
  // The vector of unit bytes [o, o + N), o a multiple of N (for the partial head and tail).
  auto vector_at = [&](std::uint64_t o) {
    const std::uint64_t in_block = o & (block_size - 1);
    if (in_block >= fill_bytes) return Encrypt(keys, counter_at(o));
    const V8 fill = fill_of_block(o / block_size);
    if (in_block + N <= fill_bytes) return fill;
    return hn::IfThenElse(hn::FirstN(d8, fill_bytes - in_block), fill,
                          Encrypt(keys, counter_at(o)));
  };
  const bool use_stream = streaming && (reinterpret_cast<std::uintptr_t>(dst) % N == begin % N);
  auto put = [&](V8 v, std::uint8_t* p) {
    if (use_stream) {
      hn::Stream(v, d8, p);
    } else {
      hn::StoreU(v, d8, p);
    }
  };

  const std::uint64_t end = begin + len;
  std::uint64_t o = begin & ~static_cast<std::uint64_t>(N - 1);
  HWY_ALIGN std::uint8_t tmp[HWY_MAX_BYTES];
  if (o < begin) {  // partial head
    hn::Store(vector_at(o), d8, tmp);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(o + N, end) - begin);
    std::memcpy(dst, tmp + (begin - o), n);
    dst += n;
    o += N;
  }
  while (o + N <= end) {
    const std::uint64_t block_start = o & ~(block_size - 1);
    const std::uint64_t fill_end = block_start + fill_bytes;
    if (o < fill_end) {
      const V8 fill = fill_of_block(block_start / block_size);
      const std::uint64_t fill_stop = std::min(fill_end, end);
      for (; o + N <= fill_stop; o += N, dst += N) put(fill, dst);
      if (o + N > end) break;
      if (o < fill_end) {  // the vector where fill ends and random bytes begin
        put(hn::IfThenElse(hn::FirstN(d8, fill_end - o), fill, Encrypt(keys, counter_at(o))), dst);
        o += N;
        dst += N;
      }
    }
    // Whole random vectors: the hot loop. Two per step keep two AES chains in flight.
    const std::uint64_t random_stop = std::min(block_start + block_size, end);
    if (o + N <= random_stop) {
      auto ctr = counter_at(o);
      const auto step = hn::BitCast(d8, ctr_step);
      const auto step2 = hn::BitCast(d8, hn::Add(ctr_step, ctr_step));
      for (; o + 2 * N <= random_stop; o += 2 * N, dst += 2 * N) {
        const V8 a = Encrypt(keys, ctr);
        const V8 b = Encrypt(keys, AddU64(ctr, step));
        put(a, dst);
        put(b, dst + N);
        ctr = AddU64(ctr, step2);
      }
      if (o + N <= random_stop) {
        put(Encrypt(keys, ctr), dst);
        o += N;
        dst += N;
      }
    }
  }
  if (o < end) {  // partial tail
    hn::Store(vector_at(o), d8, tmp);
    std::memcpy(dst, tmp, static_cast<std::size_t>(end - o));
  }
}

void GenerateRange(const Keys& keys, const detail::StreamLayout& l, std::uint64_t offset,
                   std::size_t len, std::uint8_t* HWY_RESTRICT dst, bool streaming) {
  const std::uint64_t unit_size = 1ULL << l.unit_shift;
  while (len > 0) {
    const std::uint64_t unit = offset >> l.unit_shift;
    const std::uint64_t begin = offset & (unit_size - 1);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(unit_size - begin, len));
    UnitBytes(keys, l, detail::source_unit(l, unit), begin, n, dst, streaming);
    offset += n;
    dst += n;
    len -= n;
  }
}

// Copies [src, src + len) to dst with streaming stores: ordinary ones up to dst's first vector
// boundary and after its last, unaligned loads from src.
void StreamCopy(std::uint8_t* HWY_RESTRICT dst, const std::uint8_t* HWY_RESTRICT src,
                std::size_t len) {
  const D8 d8;
  const std::size_t N = hn::Lanes(d8);
  const std::size_t head = std::min(len, (N - reinterpret_cast<std::uintptr_t>(dst) % N) % N);
  std::memcpy(dst, src, head);
  std::size_t i = head;
  for (; i + 2 * N <= len; i += 2 * N) {
    hn::Stream(hn::LoadU(d8, src + i), d8, dst + i);
    hn::Stream(hn::LoadU(d8, src + i + N), d8, dst + i + N);
  }
  for (; i + N <= len; i += N) hn::Stream(hn::LoadU(d8, src + i), d8, dst + i);
  std::memcpy(dst + i, src + i, len - i);
}

void Generate(const detail::StreamLayout& l, std::uint64_t offset, std::size_t len,
              std::uint8_t* HWY_RESTRICT dst, bool streaming) {
  const D8 d8;
  const std::size_t N = hn::Lanes(d8);
  const Keys keys(l);
  // The kernel's vectors sit at stream offsets that are multiples of N: streaming stores need
  // dst - offset to be a multiple of N too. Where it is not (a numpy array starts 16 bytes into
  // a cache line), each piece is generated into a buffer in L1 and streamed from there.
  if (streaming && (reinterpret_cast<std::uintptr_t>(dst) - offset) % N != 0) {
    constexpr std::size_t kBounce = 8 << 10;
    HWY_ALIGN std::uint8_t bounce[kBounce];
    while (len > 0) {
      const std::size_t n = std::min(len, kBounce);
      GenerateRange(keys, l, offset, n, bounce, false);
      StreamCopy(dst, bounce, n);
      offset += n;
      dst += n;
      len -= n;
    }
    hwy::FlushStream();
    return;
  }
  GenerateRange(keys, l, offset, len, dst, streaming);
  if (streaming) hwy::FlushStream();
}

void StreamFill(std::uint8_t* HWY_RESTRICT dst, std::size_t len, std::uint8_t value) {
  const D8 d8;
  const std::size_t N = hn::Lanes(d8);
  const V8 v = hn::Set(d8, value);
  // Ordinary stores up to the first vector-aligned address, streaming stores after.
  const std::size_t head = std::min(len, (N - reinterpret_cast<std::uintptr_t>(dst) % N) % N);
  std::memset(dst, value, head);
  std::size_t i = head;
  for (; i + 4 * N <= len; i += 4 * N) {
    hn::Stream(v, d8, dst + i);
    hn::Stream(v, d8, dst + i + N);
    hn::Stream(v, d8, dst + i + 2 * N);
    hn::Stream(v, d8, dst + i + 3 * N);
  }
  for (; i + N <= len; i += N) hn::Stream(v, d8, dst + i);
  std::memset(dst + i, value, len - i);
  hwy::FlushStream();
}

#endif  // HWY_TARGET == HWY_SCALAR

#if !defined(DGEN_KERNEL_VAES) || DGEN_USE_VAES
[[maybe_unused]] const bool kRegistered =
    register_kernel({HWY_TARGET, DGEN_USE_VAES != 0, &Generate, &StreamFill});
#endif

}  // namespace HWY_NAMESPACE
}  // namespace dgen::kernels::DGEN_KERNEL_VARIANT
#if DGEN_USE_VAES
#pragma GCC pop_options
#endif
#undef DGEN_USE_VAES
HWY_AFTER_NAMESPACE();

#if HWY_ONCE && defined(DGEN_KERNEL_VAES)
namespace dgen::kernels {
// Referenced by compiled_kernels() so that the linker keeps this object and its registration.
void link_vaes_kernels() {}
}  // namespace dgen::kernels
#elif HWY_ONCE
#include <vector>

namespace dgen::kernels {

void link_vaes_kernels();

namespace {
std::vector<CompiledKernel>& registry() {
  static std::vector<CompiledKernel> kernels;
  return kernels;
}
}  // namespace

bool register_kernel(CompiledKernel kernel) {
  registry().push_back(kernel);
  return true;
}

std::span<const CompiledKernel> compiled_kernels() {
  link_vaes_kernels();
  return registry();
}

}  // namespace dgen::kernels
#endif  // HWY_ONCE
