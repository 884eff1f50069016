/* The elementwise kernels other native files reuse (grouped convs' epilogues, and any fused
 * epilogue that wants the unfused ops' exact results). */
#ifndef GL_ELTWISE_H
#define GL_ELTWISE_H
#include <stdint.h>

/* The op codes: codes.h, generated from src/backend/codes.ts (the one table every backend uses). */
#include "codes.h"

/* out[i] = op(x[i]) for i < n on the calling thread; out may equal x. */
void gl_unary_f32(int op, const float *x, float *out, int64_t n);
/* y = act(y + bias) in place over rows of `inner` floats (bias NULL: none), as the separate add
 * and activation kernels compute it (the sum is rounded before the activation reads it). */
void gl_bias_act_f32(float *y, int64_t n, const float *bias, int64_t inner, int act);
/* out[i] = sum over the rows of x[rows, inner] in float64, in an order fixed by the shape alone
 * (never by the thread count), rounded once to float32. Uses the thread pool when large. */
void gl_sum_rows_f32(const float *x, int64_t rows, int64_t inner, float *out);

#endif
