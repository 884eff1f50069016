/* Generated from src/backend/codes.ts by `npm run gen:codes`; do not edit. */
#ifndef GL_CODES_H
#define GL_CODES_H
#define GL_UNARY_NEG 0
#define GL_UNARY_ABS 1
#define GL_UNARY_SQRT 2
#define GL_UNARY_SQUARE 3
#define GL_UNARY_RELU 4
#define GL_UNARY_STEP 5
#define GL_UNARY_SIGN 6
#define GL_UNARY_RECIPROCAL 7
#define GL_UNARY_EXP 8
#define GL_UNARY_SIGMOID 9
#define GL_UNARY_LOG 10
#define GL_UNARY_TANH 11
#define GL_UNARY_SOFTPLUS 12
#define GL_BINARY_ADD 0
#define GL_BINARY_SUB 1
#define GL_BINARY_MUL 2
#define GL_BINARY_DIV 3
#define GL_BINARY_MAXIMUM 4
#define GL_BINARY_MINIMUM 5
#define GL_BINARY_GT 6
#define GL_BINARY_GE 7
#define GL_BINARY_LT 8
#define GL_BINARY_LE 9
#define GL_BINARY_EQ 10
#define GL_BINARY_MASK_POSITIVE 11
#define GL_BINARY_POW 12
#define GL_REDUCE_SUM 0
#define GL_REDUCE_MAX 1
#define GL_REDUCE_MIN 2
#define GL_ACT_LINEAR 0
#define GL_ACT_RELU 1
#define GL_ACT_SIGMOID 2
#define GL_ACT_TANH 3
#define GL_UNARY_COUNT 13
#define GL_BINARY_COUNT 13
#define GL_REDUCE_COUNT 3
#define GL_ACT_COUNT 4
#endif
