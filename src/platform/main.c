/*
 * The executable: the engine, the platform, and the programs' modules as
 * bytecode compiled at build time (scripts/compile-bytecode.c writes the
 * table). It evaluates the module entry.js, which chooses the program by the
 * name it was called under and imports it, then runs the event loop until the
 * program exits.
 *
 * Except in an svlogd that has handed its work to its supervisor: that
 * process is the logger stub (logger-stub.c) and never makes an engine.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logger-stub.h"
#include "platform.h"
#include "runtime.h"

/* The compiled modules, written by the build: name ("entry.js", "sv.js", ...) and bytecode. */
struct embedded_module {
  const char *name;
  const uint8_t *bytecode;
  size_t length;
};
extern const struct embedded_module embedded_modules[];
extern const size_t embedded_module_count;

static JSValue read_embedded(JSContext *ctx, const char *name) {
  for (size_t i = 0; i < embedded_module_count; i++) {
    const struct embedded_module *module = &embedded_modules[i];
    if (strcmp(module->name, name) == 0) return JS_ReadObject(ctx, module->bytecode, module->length, JS_READ_OBJ_BYTECODE);
  }
  return JS_ThrowReferenceError(ctx, "the executable has no module %s", name);
}

static JSModuleDef *load_module(JSContext *ctx, const char *name, void *opaque) {
  (void)opaque;
  JSModuleDef *platform = platform_module(ctx, name);
  if (platform != NULL) return platform;
  JSValue module = read_embedded(ctx, name);
  if (JS_IsException(module)) return NULL;
  /* The runtime keeps the module in its list; this reference is not needed. */
  JSModuleDef *m = JS_VALUE_GET_PTR(module);
  JS_FreeValue(ctx, module);
  return m;
}

int main(int argc, char **argv) {
  /*
   * Set by src/svlogd/handoff.ts to `CHANNEL_FD:PID`, PID its own, for itself
   * after its exec alone: the same variable anywhere else (a process started
   * with it by mistake) is not a stub. Out of its environment from here on
   * (/proc/PID/environ still shows it).
   */
  const char *stub = getenv("MY_INIT_LOGGER_STUB");
  int channel, pid;
  if (stub != NULL && sscanf(stub, "%d:%d", &channel, &pid) == 2 && pid == getpid()) {
    unsetenv("MY_INIT_LOGGER_STUB");
    return logger_stub(channel);
  }
  processes_keep_arguments(argc, argv);
  JSContext *ctx = new_context(load_module);
  JSValue entry = read_embedded(ctx, "entry.js");
  if (JS_IsException(entry) || JS_ResolveModule(ctx, entry) < 0) die_of_exception(ctx);
  JSValue result = JS_EvalFunction(ctx, entry);
  if (JS_IsException(result)) die_of_exception(ctx);
  JS_FreeValue(ctx, result);
  loop_run(ctx);
  return 0;
}
