/* Placeholder: serial parallel_for and portable CPU level; the pthread pool replaces this. */
#include "gl.h"

static int thread_count = 1;

void gl_parallel_for(int64_t n, int64_t grain, gl_task_fn fn, void *ctx) {
  (void)grain;
  if (n > 0) fn(ctx, 0, n, 0);
}
int gl_thread_count(void) { return thread_count; }
void gl_set_thread_count(int threads) { thread_count = threads < 1 ? 1 : threads; }
int gl_cpu_level(void) { return 0; }
void gl_register_threads(napi_env env, napi_value exports) { (void)env; (void)exports; }
