#include "analyze/compress.hpp"

#include <lz4.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <stdexcept>

namespace dgen::analyze {

const char* name_of(Compressor c) {
  switch (c) {
    case Compressor::kZstd:
      return "zstd";
    case Compressor::kLz4:
      return "lz4";
    case Compressor::kZlib:
      return "zlib";
  }
  return "?";
}

struct Compressors::State {
  ZSTD_CCtx* zstd = nullptr;
  z_stream zlib{};
  bool zlib_ready = false;
  std::vector<unsigned char> out;

  ~State() {
    if (zstd != nullptr) ZSTD_freeCCtx(zstd);
    if (zlib_ready) deflateEnd(&zlib);
  }
};

Compressors::Compressors() : state_(std::make_unique<State>()) {
  state_->zstd = ZSTD_createCCtx();
  if (state_->zstd == nullptr) throw std::runtime_error("zstd: ZSTD_createCCtx failed");
  // compress2(level 6) is deflateInit(level 6) + deflate(Z_FINISH): the same stream, reset.
  if (deflateInit(&state_->zlib, 6) != Z_OK) throw std::runtime_error("zlib: deflateInit failed");
  state_->zlib_ready = true;
}

Compressors::~Compressors() = default;

std::uint64_t Compressors::size(Compressor c, const std::byte* p, std::size_t n) {
  State& s = *state_;
  const auto t0 = std::chrono::steady_clock::now();
  struct Clock {
    double& total;
    std::chrono::steady_clock::time_point t0;
    ~Clock() {
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  } clock{seconds_[static_cast<int>(c)], t0};
  std::size_t bound = 0;
  switch (c) {
    case Compressor::kZstd:
      bound = ZSTD_compressBound(n);
      break;
    case Compressor::kLz4:
      bound = static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(n)));
      break;
    case Compressor::kZlib:
      bound = compressBound(static_cast<uLong>(n));
      break;
  }
  if (s.out.size() < bound) s.out.resize(bound);
  std::uint64_t packed = 0;
  switch (c) {
    case Compressor::kZstd: {
      const std::size_t r = ZSTD_compressCCtx(s.zstd, s.out.data(), s.out.size(), p, n, 3);
      if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
      packed = r;
      break;
    }
    case Compressor::kLz4: {
      const int r = LZ4_compress_default(reinterpret_cast<const char*>(p),
                                         reinterpret_cast<char*>(s.out.data()), static_cast<int>(n),
                                         static_cast<int>(s.out.size()));
      if (r <= 0) throw std::runtime_error("lz4: LZ4_compress_default failed");
      packed = static_cast<std::uint64_t>(r);
      break;
    }
    case Compressor::kZlib: {
      if (deflateReset(&s.zlib) != Z_OK) throw std::runtime_error("zlib: deflateReset failed");
      s.zlib.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(p));
      s.zlib.avail_in = static_cast<uInt>(n);
      s.zlib.next_out = s.out.data();
      s.zlib.avail_out = static_cast<uInt>(s.out.size());
      if (deflate(&s.zlib, Z_FINISH) != Z_STREAM_END)
        throw std::runtime_error("zlib: deflate did not finish");
      packed = s.zlib.total_out;
      break;
    }
  }
  return packed < n ? packed : n;
}

std::uint64_t Compressors::footprint(std::size_t block) {
  Compressors c;
  const std::vector<std::byte> zeros(block);
  c.sizes(zeros.data(), zeros.size());
  return ZSTD_sizeof_CCtx(c.state_->zstd) + c.state_->out.capacity() + (1u << 17) + (1u << 17) +
         (8u << 10);
}

CompressedSizes Compressors::sizes(const std::byte* p, std::size_t n) {
  return {size(Compressor::kZstd, p, n), size(Compressor::kLz4, p, n),
          size(Compressor::kZlib, p, n)};
}

}  // namespace dgen::analyze
