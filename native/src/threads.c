/* The persistent thread pool and the CPU level.
 *
 * Workers spin on a generation counter for a while after each job, then keep polling it between
 * sched_yield calls for GL_YIELD_NS, then sleep on a condition variable: a futex round trip costs
 * ~50 us (PERF-NOTES), more than a whole small GEMM, and a training step's JavaScript often runs
 * longer than the spin between two kernels; yielding keeps the core awake for the next kernel
 * but gives it to any other thread that wants it (V8's compiler and GC), and sleeping at last
 * keeps an idle process from holding a core.
 * The split of [0, n) is static (depends on n, grain and the thread count only), so a kernel
 * whose pieces write disjoint outputs is bit-reproducible for a given thread count. */
#include "gl.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GL_PAUSE() _mm_pause()
#else
#define GL_PAUSE() ((void)0)
#endif

#define GL_MAX_THREADS 64
/* pause iterations before a worker sleeps (~100-200 us on this CPU) */
#define GL_SPIN 20000
/* then polling between yields for 3 ms */
#define GL_YIELD_NS 3000000
/* pieces per thread of a fine split: whoever is free claims the next piece, so a core slowed by
 * a neighbour (a shared VM, V8's GC threads) takes fewer pieces instead of holding up the call */
#define GL_FINE 4

typedef struct {
  gl_task_fn fn;
  void *ctx;
  int64_t n;
  int pieces;
} job_t;

static pthread_t workers[GL_MAX_THREADS];
static int started = 0; /* workers running (thread indices 1..started) */
static int thread_count = 0; /* 0: not read from the environment yet */
static job_t job;
static atomic_uint_fast64_t generation;
/* (generation << 16) | next piece: pieces are claimed in order by whoever is free, the caller
 * included, so a worker the OS has not scheduled yet delays nothing (the machine may be shared).
 * Which thread runs a piece never changes its result: pieces are indexed, not threads. */
static _Atomic uint64_t claim;
static atomic_int done_pieces;
static atomic_int stop_flag;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static atomic_int busy; /* a parallel_for is running: nested calls run serially */
/* the generation when the workers were (re)started: a new worker must not rerun the last job */
static uint_fast64_t base_generation;

static void run_piece(const job_t *j, int t) {
  int64_t b = j->n * t / j->pieces, e = j->n * (t + 1) / j->pieces;
  if (e > b) j->fn(j->ctx, b, e, t);
}

/* Claims and runs pieces of job `gen` until none is left (or the job is no longer `gen`). */
static void run_claimed(uint64_t gen) {
  for (;;) {
    uint64_t c = atomic_load_explicit(&claim, memory_order_acquire);
    if ((c >> 16) != (gen & 0xFFFFFFFFFFFFull)) return;
    int pieces = job.pieces;
    int t = (int)(c & 0xFFFF);
    if (t >= pieces) return;
    job_t j = job;
    if (!atomic_compare_exchange_weak_explicit(&claim, &c, c + 1, memory_order_acq_rel, memory_order_acquire)) continue;
    run_piece(&j, t);
    atomic_fetch_add_explicit(&done_pieces, 1, memory_order_release);
  }
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *worker_main(void *arg) {
  int t = (int)(intptr_t)arg;
  uint_fast64_t seen = base_generation;
  for (;;) {
    uint_fast64_t g;
    int spins = 0;
    int64_t yield_from = 0;
    while ((g = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
      if (atomic_load_explicit(&stop_flag, memory_order_relaxed)) return NULL;
      if (++spins < GL_SPIN) {
        GL_PAUSE();
        continue;
      }
      if (spins == GL_SPIN) yield_from = now_ns();
      if (now_ns() - yield_from < GL_YIELD_NS) {
        sched_yield();
        continue;
      }
      pthread_mutex_lock(&mu);
      while (atomic_load(&generation) == seen && !atomic_load(&stop_flag)) pthread_cond_wait(&wake, &mu);
      pthread_mutex_unlock(&mu);
      spins = 0;
    }
    seen = g;
    if (atomic_load(&stop_flag)) return NULL;
    run_claimed(g);
  }
}

static int env_threads(void) {
  const char *s = getenv("GRADLAB_THREADS");
  if (s && *s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end == 0 && v >= 1) return v > GL_MAX_THREADS ? GL_MAX_THREADS : (int)v;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores >= 2 ? 2 : 1;
}

static void stop_workers(void) {
  if (!started) return;
  pthread_mutex_lock(&mu);
  atomic_store(&stop_flag, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  for (int i = 1; i <= started; i++) pthread_join(workers[i], NULL);
  started = 0;
  atomic_store(&stop_flag, 0);
}

static void ensure_workers(void) {
  if (thread_count == 0) thread_count = env_threads();
  if (started == thread_count - 1) return;
  stop_workers();
  base_generation = atomic_load(&generation);
  for (int i = 1; i < thread_count; i++) {
    if (pthread_create(&workers[i], NULL, worker_main, (void *)(intptr_t)i) != 0) {
      thread_count = i; /* run with the threads we got */
      break;
    }
    started = i;
  }
}

int gl_thread_count(void) {
  if (thread_count == 0) thread_count = env_threads();
  return thread_count;
}

void gl_set_thread_count(int threads) {
  if (threads < 1) threads = 1;
  if (threads > GL_MAX_THREADS) threads = GL_MAX_THREADS;
  thread_count = threads;
  ensure_workers();
}

/* Runs fn over `pieces` pieces of [0, n); returns the pieces used (1: all of it ran on the caller
 * as piece 0, which happens when another parallel_for is running). */
static int64_t run_pieces(int64_t n, int64_t pieces, gl_task_fn fn, void *ctx) {
  int expected = 0;
  if (pieces < 2 || !atomic_compare_exchange_strong(&busy, &expected, 1)) {
    fn(ctx, 0, n, 0);
    return 1;
  }
  ensure_workers();
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  job.pieces = (int)pieces;
  uint64_t gen = atomic_load(&generation) + 1;
  atomic_store_explicit(&done_pieces, 0, memory_order_relaxed);
  atomic_store_explicit(&claim, (gen & 0xFFFFFFFFFFFFull) << 16, memory_order_release);
  pthread_mutex_lock(&mu);
  atomic_store_explicit(&generation, gen, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  run_claimed(gen);
  /* the last pieces are running on workers: spin briefly, then yield the core to them */
  for (int spins = 0; atomic_load_explicit(&done_pieces, memory_order_acquire) < job.pieces; spins++) {
    if (spins < 2000) GL_PAUSE();
    else sched_yield();
  }
  atomic_store(&busy, 0);
  return pieces;
}

static int64_t pieces_for(int64_t n, int64_t grain, int64_t per_thread) {
  if (n <= 0) return 0;
  if (grain < 1) grain = 1;
  int64_t threads = gl_thread_count();
  int64_t pieces = n / grain;
  if (pieces > threads * per_thread) pieces = threads * per_thread;
  return pieces < 2 || threads < 2 ? 1 : pieces;
}

void gl_parallel_for(int64_t n, int64_t grain, gl_task_fn fn, void *ctx) {
  if (n > 0) run_pieces(n, pieces_for(n, grain, 1), fn, ctx);
}

int64_t gl_fine_pieces(int64_t n, int64_t grain) { return pieces_for(n, grain, GL_FINE); }

int64_t gl_parallel_for_fine(int64_t n, int64_t grain, gl_task_fn fn, void *ctx) {
  return n > 0 ? run_pieces(n, gl_fine_pieces(n, grain), fn, ctx) : 0;
}

/* ---- CPU level ---- */
static int cpu_level = -1;

static int detected_level(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

static int level_by_name(const char *s) {
  if (!strcmp(s, "avx512")) return 2;
  if (!strcmp(s, "avx2")) return 1;
  if (!strcmp(s, "c")) return 0;
  return -1;
}

int gl_cpu_level(void) {
  if (cpu_level < 0) {
    int best = detected_level();
    const char *s = getenv("GRADLAB_NATIVE_ISA");
    int want = s && *s ? level_by_name(s) : -1;
    /* asking for more than the CPU has falls back to what it has */
    cpu_level = want >= 0 && want < best ? want : best;
  }
  return cpu_level;
}

static const char *level_name(int l) { return l == 2 ? "avx512" : l == 1 ? "avx2" : "c"; }

/* ---- JS: threads(), setThreads(n), isa(), setIsa(name) -> the ISA in use, detectedIsa() ---- */
static napi_value js_threads(napi_env env, napi_callback_info info) {
  napi_value r;
  napi_create_int32(env, gl_thread_count(), &r);
  return r;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t n;
  if (argc < 1 || !gl_int(env, argv[0], &n)) return NULL;
  gl_set_thread_count((int)(n < 1 ? 1 : n > GL_MAX_THREADS ? GL_MAX_THREADS : n));
  return js_threads(env, info);
}

static napi_value js_isa(napi_env env, napi_callback_info info) {
  napi_value r;
  napi_create_string_utf8(env, level_name(gl_cpu_level()), NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value js_detected_isa(napi_env env, napi_callback_info info) {
  napi_value r;
  napi_create_string_utf8(env, level_name(detected_level()), NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char buf[16];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "setIsa: expected 'avx512', 'avx2' or 'c'");
    return NULL;
  }
  int want = level_by_name(buf);
  if (want < 0) {
    napi_throw_range_error(env, NULL, "setIsa: expected 'avx512', 'avx2' or 'c'");
    return NULL;
  }
  int best = detected_level();
  cpu_level = want < best ? want : best;
  return js_isa(env, info);
}

void gl_register_threads(napi_env env, napi_value exports) {
  gl_export(env, exports, "threads", js_threads);
  gl_export(env, exports, "setThreads", js_set_threads);
  gl_export(env, exports, "isa", js_isa);
  gl_export(env, exports, "detectedIsa", js_detected_isa);
  gl_export(env, exports, "setIsa", js_set_isa);
}
