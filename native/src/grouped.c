/* Placeholder until the grouped kernels land: registers nothing, so the TypeScript side uses the reference. */
#include "gl.h"

void gl_register_grouped(napi_env env, napi_value exports) { (void)env; (void)exports; }
