/* The engine as the executable and the unit tests' host both run it (runtime.c). */
#ifndef MY_INIT_RUNTIME_H
#define MY_INIT_RUNTIME_H

#include "quickjs.h"

/* A context with the language the programs use; `loader` finds the modules that are not the platform's. */
JSContext *new_context(JSModuleLoaderFunc *loader);
/* The platform module `name` (sys:files, ...), or NULL when it is not one. */
JSModuleDef *platform_module(JSContext *ctx, const char *name);

#endif
