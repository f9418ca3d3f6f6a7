/* An independent fill, in a process of its own: the reference dgen_mpi's generation is compared
 * with (bench/fill_vs_generate.sh). No MPI, no hwloc, no code of dgen's: an OpenMP team of
 * THREADS fills one SIZE-byte buffer (mmap, first touched by the team with the same static
 * partition as the fills), then PASSES times in turn with glibc's memset and with streaming
 * (non-temporal) stores of a constant, each pass timed from before the team starts to after it
 * ends. Prints one line per fill: its best and median GB/s (10^9 bytes/s).
 *   fill_reference SIZE_BYTES THREADS PASSES */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Streaming stores of `v` over [p, p + n): SSE2, which every x86-64 has. */
static void stream_fill(uint8_t* p, size_t n, uint8_t v) {
  const __m128i x = _mm_set1_epi8((char)v);
  size_t i = 0;
  for (; i < n && ((uintptr_t)(p + i) & 15); ++i) p[i] = v;
  for (; i + 64 <= n; i += 64) {
    _mm_stream_si128((__m128i*)(p + i), x);
    _mm_stream_si128((__m128i*)(p + i + 16), x);
    _mm_stream_si128((__m128i*)(p + i + 32), x);
    _mm_stream_si128((__m128i*)(p + i + 48), x);
  }
  for (; i < n; ++i) p[i] = v;
  _mm_sfence();
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* One timed pass of `kind` (0: memset, 1: streaming, 2: first touch) over the buffer. */
static double pass(uint8_t* buf, size_t size, int threads, int kind, uint8_t v) {
  const double t0 = now();
#pragma omp parallel num_threads(threads)
  {
    const size_t t = (size_t)omp_get_thread_num(), n = (size_t)omp_get_num_threads();
    const size_t begin = size / n * t, end = t + 1 == n ? size : size / n * (t + 1);
    if (kind == 0) memset(buf + begin, v, end - begin);
    if (kind == 1) stream_fill(buf + begin, end - begin, v);
    if (kind == 2)
      for (size_t x = begin; x < end; x += 4096) buf[x] = 0;
  }
  return now() - t0;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fill_reference SIZE_BYTES THREADS PASSES\n");
    return 2;
  }
  const size_t size = strtoull(argv[1], NULL, 0);
  const int threads = atoi(argv[2]), passes = atoi(argv[3]);
  if (size < 4096 || threads < 1 || passes < 1 || passes > 1000) {
    fprintf(stderr, "fill_reference: bad arguments\n");
    return 2;
  }
  uint8_t* buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) {
    perror("fill_reference: mmap");
    return 1;
  }
  pass(buf, size, threads, 2, 0);
  double* secs[2];
  for (int k = 0; k < 2; ++k) secs[k] = calloc((size_t)passes, sizeof(double));
  for (int i = 0; i < passes; ++i)
    for (int k = 0; k < 2; ++k) secs[k][i] = pass(buf, size, threads, k, (uint8_t)(i + 1));
  static const char* names[2] = {"memset", "streaming"};
  for (int k = 0; k < 2; ++k) {
    qsort(secs[k], (size_t)passes, sizeof(double), by_value);
    printf("%s best %.2f median %.2f GB/s\n", names[k], (double)size / secs[k][0] / 1e9,
           (double)size / secs[k][passes / 2] / 1e9);
  }
  munmap(buf, size);
  return 0;
}
