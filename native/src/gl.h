/* Shared declarations of gradlab's native (N-API) backend. Each kernel family lives in its own
 * file and registers its functions on the addon's exports through one gl_register_* call. */
#ifndef GL_H
#define GL_H
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>
#include "codes.h" /* the op codes, from src/backend/codes.ts */

/* A loop kernel built for AVX-512, AVX2 and baseline x86-64, the copy chosen at load time by the
 * CPU (GL_NO_CLONES, or another architecture: one portable build). */
#if defined(__x86_64__) && !defined(GL_NO_CLONES)
#define GL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GL_CLONES
#endif

/* ---- threads (threads.c) ----
 * fn(ctx, begin, end, thread) runs over [begin, end) pieces of [0, n). The split is static: it
 * depends only on n, grain and the thread count, never on timing, so a kernel whose pieces write
 * disjoint outputs (or whose partial sums are folded in thread order) is bit-reproducible.
 * Pieces hold at least `grain` items; n < 2 * grain runs on the caller alone. */
typedef void (*gl_task_fn)(void *ctx, int64_t begin, int64_t end, int thread);
void gl_parallel_for(int64_t n, int64_t grain, gl_task_fn fn, void *ctx);
/* The same over up to 4 pieces per thread, claimed by whichever thread is free: for kernels whose
 * pieces are cheap to start (no packing of a shared operand). `thread` is then the piece index,
 * below gl_fine_pieces(n, grain); the return value is the pieces actually run (1 when the call ran
 * on the caller alone), which is what partial sums per piece must be folded over. */
int64_t gl_fine_pieces(int64_t n, int64_t grain);
int64_t gl_parallel_for_fine(int64_t n, int64_t grain, gl_task_fn fn, void *ctx);
/* Threads a parallel_for may use, the caller included (>= 1). */
int gl_thread_count(void);
void gl_set_thread_count(int threads);

/* ---- CPU features (threads.c): 0 portable C, 1 AVX2 + FMA, 2 AVX-512F ---- */
int gl_cpu_level(void);

/* ---- GEMM (gemm.c), float32, used by conv.c too ----
 * C[i*ldc + j] = act(sum_p A(i,p) B(p,j) (+ C[i*ldc + j] when accumulate) + bias[j]) for i < m,
 * j < n, with A(i,p) = a[i*ars + p*acs] and B(p,j) = b[p*brs + j*bcs]: any layout, no copies
 * (the packing reads it). bias may be NULL; act is a GL_ACT_* code. gl_sgemm splits the work over
 * the pool; gl_sgemm_serial runs on the calling thread (inside a parallel_for piece). Each output
 * element is summed in the same order whatever the split, so the result does not depend on the
 * thread count. */
/* The epilogues treat codes above RELU as the transcendental activations. */
_Static_assert(GL_ACT_LINEAR == 0 && GL_ACT_RELU == 1 && GL_ACT_SIGMOID > GL_ACT_RELU && GL_ACT_TANH > GL_ACT_RELU,
  "codes.h: the activation order the epilogues rely on changed");
void gl_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t ars, int64_t acs, const float *b,
  int64_t brs, int64_t bcs, float *c, int64_t ldc, int accumulate, const float *bias, int act);
void gl_sgemm_serial(int64_t m, int64_t n, int64_t k, const float *a, int64_t ars, int64_t acs, const float *b,
  int64_t brs, int64_t bcs, float *c, int64_t ldc, int accumulate, const float *bias, int act);
/* y = act(y + bias) over rows of n values, bias may be NULL (the epilogue as a separate pass). */
void gl_epilogue_rows(float *y, int64_t rows, int64_t n, int64_t ldy, const float *bias, int act);

/* ---- N-API helpers (addon.c) ---- */
/* Data pointer and element count of a Float32Array/Float64Array/Int32Array argument; throws a JS
 * TypeError and returns NULL when the value is not a typed array of that kind. */
float *gl_f32(napi_env env, napi_value v, size_t *length);
double *gl_f64(napi_env env, napi_value v, size_t *length);
int32_t *gl_i32(napi_env env, napi_value v, size_t *length);
/* Reads argument values; false (with a JS error pending) on a wrong type. */
int gl_int(napi_env env, napi_value v, int64_t *out);
int gl_num(napi_env env, napi_value v, double *out);
int gl_bool(napi_env env, napi_value v, int *out);
/* Adds a function property to exports. */
void gl_export(napi_env env, napi_value exports, const char *name, napi_callback cb);

/* ---- kernel families: each file registers its own functions ---- */
void gl_register_threads(napi_env env, napi_value exports); /* threads.c */
void gl_register_gemm(napi_env env, napi_value exports);    /* gemm.c: matmul and its epilogue */
void gl_register_conv(napi_env env, napi_value exports);    /* conv.c: conv2d and both backward passes */
void gl_register_eltwise(napi_env env, napi_value exports); /* eltwise.c: unary, binary, reduce, activation backward */
void gl_register_pool(napi_env env, napi_value exports);    /* pool.c: pooling and its backward */
void gl_register_optim(napi_env env, napi_value exports);   /* optim.c: optimizer updates */
void gl_register_grouped(napi_env env, napi_value exports); /* grouped.c: grouped and depthwise conv */
void gl_register_norm(napi_env env, napi_value exports);    /* norm.c: batch normalisation */

#endif
