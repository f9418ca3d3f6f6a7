// XXH3 with AVX2 (compiled with -mavx2; run only where the CPU has it).
#define XXH_VECTOR XXH_AVX2
#define XXH3_TARGET_FN xxh3_avx2
#include "analyze/xxh3_target.inc"
