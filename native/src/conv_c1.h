/* The one-input-channel conv kernels (forward and filter gradient), written once over a vector
 * of VL floats and included by conv.c once per ISA with these macros defined:
 *   C1_TARGET (a target attribute), C1_FWD / C1_BWF (the two functions' names), VL (lanes),
 *   V (the vector type), MASK_T, MASK(mc) (the first mc lanes), LOADM(p, mk), STOREM(p, mk, v),
 *   SET1(x), FMA(a, b, c) = a * b + c, ADD, MAX, ZERO(), LOAD(p), STORE(p, v).
 * Forward: eight output pixels of a row at a time, each a masked vector of up to VL filters, from
 * a zero-padded copy of the input rows so no tap needs a bounds test. Filter gradient:
 * dw[tap][m] = sum over output pixels of the tap's input value times dz[pixel][m], tap outer and
 * pixels inner with four accumulators in registers (a memory accumulator updated every pixel would
 * wait on store-to-load forwarding), summed per piece into its own partial. The parameters are
 * undefined at the end, so the next inclusion defines its own. */

C1_TARGET
static void C1_FWD(void *ctx, int64_t r0, int64_t r1, int thread) {
  const c1_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t M = g->m, KW = g->kw, OW = g->ow;
  const int64_t wp = g->pl + g->w + (OW * g->sw + KW * g->dw); /* padded row, generous on the right */
  const int64_t T = g->kh * KW, xpLen = g->kh * wp + 8 * g->sw * 16;
  float *xp = col_buffer((size_t)(xpLen + T * VL * ((M + VL - 1) / VL)));
  /* the weights zero-padded to whole vectors, [group][tap][VL]: plain loads in the inner loop */
  float *wpad = xp + xpLen;
  for (int64_t m0 = 0, q = 0; m0 < M; m0 += VL, q++)
    for (int64_t t = 0; t < T; t++)
      for (int64_t l = 0; l < VL; l++) wpad[(q * T + t) * VL + l] = m0 + l < M ? j->w[t * M + m0 + l] : 0;
  for (int64_t row = r0; row < r1; row++) { /* row = n * OH + oh */
    int64_t n = row / g->oh, oh = row % g->oh;
    c1_pad_rows(g, j->x, n, oh, wp, xp);
    float *yrow = j->y + row * OW * M;
    for (int64_t m0 = 0; m0 < M; m0 += VL) {
      int mc = (int)(M - m0 < VL ? M - m0 : VL);
      const MASK_T mk = MASK(mc);
      const float *wq = wpad + m0 / VL * T * VL;
      V bv = j->bias ? LOADM(j->bias + m0, mk) : ZERO();
      for (int64_t ow0 = 0; ow0 < OW; ow0 += 8) {
        int cnt = (int)(OW - ow0 < 8 ? OW - ow0 : 8);
        V a0 = bv, a1 = bv, a2 = bv, a3 = bv, a4 = bv, a5 = bv, a6 = bv, a7 = bv;
        for (int64_t kh = 0; kh < g->kh; kh++) {
          const float *xr = xp + kh * wp + ow0 * g->sw;
          for (int64_t kw = 0; kw < KW; kw++) {
            V wv = LOAD(wq + (kh * KW + kw) * VL);
            const float *xs = xr + kw * g->dw;
            const int64_t s = g->sw;
            a0 = FMA(SET1(xs[0]), wv, a0);
            a1 = FMA(SET1(xs[s]), wv, a1);
            a2 = FMA(SET1(xs[2 * s]), wv, a2);
            a3 = FMA(SET1(xs[3 * s]), wv, a3);
            a4 = FMA(SET1(xs[4 * s]), wv, a4);
            a5 = FMA(SET1(xs[5 * s]), wv, a5);
            a6 = FMA(SET1(xs[6 * s]), wv, a6);
            a7 = FMA(SET1(xs[7 * s]), wv, a7);
          }
        }
        V acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        for (int i = 0; i < cnt; i++) {
          V v = acc[i];
          if (j->act == GL_ACT_RELU) v = MAX(v, ZERO());
          /* a partial vector (M < VL filters) is stored whole, spilling into the next pixels'
           * first filters, which are written after it; masked stores (microcoded on AMD) only
           * where the spill would pass the row's end, or when another group of filters follows */
          if (mc == VL || (M < VL && (ow0 + i) * M + VL <= OW * M)) STORE(yrow + (ow0 + i) * M + m0, v);
          else STOREM(yrow + (ow0 + i) * M + m0, mk, v);
        }
      }
    }
    if (j->act >= GL_ACT_SIGMOID) gl_epilogue_rows(yrow, OW, M, M, NULL, j->act);
  }
}

C1_TARGET
static void C1_BWF(void *ctx, int64_t r0, int64_t r1, int piece) {
  const c1f_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t M = g->m, KW = g->kw, OW = g->ow, T = g->kh * KW;
  const int64_t wp = g->pl + g->w + (OW * g->sw + KW * g->dw);
  float *acc = piece == 0 ? j->dw : j->partials + (int64_t)(piece - 1) * T * M;
  float *xp = col_buffer((size_t)(g->kh * wp + T * VL + VL));
  float *tacc = xp + g->kh * wp; /* T x VL accumulators */
  for (int64_t m0 = 0; m0 < M; m0 += VL) {
    int mc = (int)(M - m0 < VL ? M - m0 : VL);
    const MASK_T mk = MASK(mc);
    memset(tacc, 0, sizeof(float) * (size_t)(T * VL));
    for (int64_t row = r0; row < r1; row++) {
      int64_t n = row / g->oh, oh = row % g->oh;
      c1_pad_rows(g, j->x, n, oh, wp, xp);
      const float *dzr = j->dz + row * OW * M + m0;
      for (int64_t kh = 0; kh < g->kh; kh++) {
        for (int64_t kw = 0; kw < KW; kw++) {
          const float *xs = xp + kh * wp + kw * g->dw;
          const int64_t sw = g->sw;
          V a0 = ZERO(), a1 = a0, a2 = a0, a3 = a0;
          int64_t ow = 0;
          for (; ow + 4 <= OW; ow += 4) {
            a0 = FMA(SET1(xs[ow * sw]), LOADM(dzr + ow * M, mk), a0);
            a1 = FMA(SET1(xs[(ow + 1) * sw]), LOADM(dzr + (ow + 1) * M, mk), a1);
            a2 = FMA(SET1(xs[(ow + 2) * sw]), LOADM(dzr + (ow + 2) * M, mk), a2);
            a3 = FMA(SET1(xs[(ow + 3) * sw]), LOADM(dzr + (ow + 3) * M, mk), a3);
          }
          for (; ow < OW; ow++) a0 = FMA(SET1(xs[ow * sw]), LOADM(dzr + ow * M, mk), a0);
          float *ta = tacc + (kh * KW + kw) * VL;
          STORE(ta, ADD(LOAD(ta), ADD(ADD(a0, a1), ADD(a2, a3))));
        }
      }
    }
    for (int64_t t = 0; t < T; t++) for (int c = 0; c < mc; c++) acc[t * M + m0 + c] = tacc[t * VL + c];
  }
}

#undef C1_TARGET
#undef C1_FWD
#undef C1_BWF
#undef VL
#undef V
#undef MASK_T
#undef MASK
#undef LOADM
#undef STOREM
#undef SET1
#undef FMA
#undef ADD
#undef MAX
#undef ZERO
#undef LOAD
#undef STORE
