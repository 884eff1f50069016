/* Placeholder until the optim kernels land: registers nothing, so the TypeScript side uses the reference. */
#include "gl.h"

void gl_register_optim(napi_env env, napi_value exports) { (void)env; (void)exports; }
