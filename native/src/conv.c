/* Placeholder until the conv kernels land: registers nothing, so the TypeScript side uses the reference. */
#include "gl.h"

void gl_register_conv(napi_env env, napi_value exports) { (void)env; (void)exports; }
