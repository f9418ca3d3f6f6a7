// XXH3 with AVX-512 (compiled with -mavx512f; run only where the CPU has it).
#define XXH_VECTOR XXH_AVX512
#define XXH3_TARGET_FN xxh3_avx512
#include "analyze/xxh3_target.inc"
