/* The elementwise kernels other native files reuse (grouped convs' epilogues, and any fused
 * epilogue that wants the unfused ops' exact results). Codes are the order of the name tables in
 * eltwise.c, which the addon exports (eltwiseCodes) so TypeScript never keeps its own numbering. */
#ifndef GL_ELTWISE_H
#define GL_ELTWISE_H
#include <stdint.h>

enum gl_unary_op {
  GL_U_NEG, GL_U_EXP, GL_U_LOG, GL_U_SQRT, GL_U_ABS, GL_U_SQUARE, GL_U_SIGN, GL_U_SIGMOID, GL_U_TANH,
  GL_U_RELU, GL_U_STEP, GL_U_SOFTPLUS, GL_U_RECIPROCAL, GL_U_COUNT
};
enum gl_binary_op {
  GL_B_ADD, GL_B_SUB, GL_B_MUL, GL_B_DIV, GL_B_POW, GL_B_MAXIMUM, GL_B_MINIMUM, GL_B_GT, GL_B_GE, GL_B_LT,
  GL_B_LE, GL_B_EQ, GL_B_MASK_POSITIVE, GL_B_COUNT
};
enum gl_reduce_op { GL_R_SUM, GL_R_MAX, GL_R_MIN, GL_R_COUNT };
/* The fused activations (backend.ts FUSED_ACTIVATIONS order). */
enum gl_activation { GL_A_LINEAR, GL_A_RELU, GL_A_SIGMOID, GL_A_TANH, GL_A_COUNT };

/* out[i] = op(x[i]) for i < n on the calling thread; out may equal x. */
void gl_unary_f32(int op, const float *x, float *out, int64_t n);
/* y = act(y + bias) in place over rows of `inner` floats (bias NULL: none), as the separate add
 * and activation kernels compute it (the sum is rounded before the activation reads it). */
void gl_bias_act_f32(float *y, int64_t n, const float *bias, int64_t inner, int act);
/* out[i] = sum over the rows of x[rows, inner] in float64, in an order fixed by the shape alone
 * (never by the thread count), rounded once to float32. Uses the thread pool when large. */
void gl_sum_rows_f32(const float *x, int64_t rows, int64_t inner, float *out);

#endif
