/*
 * The engine as every program of the executable (and the unit tests' host)
 * runs it: a QuickJS context with the parts of the language the programs
 * use, the platform's modules (sys:files, sys:processes, ...), promise jobs,
 * and what happens to an error nobody caught.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "runtime.h"

struct platform_module {
  const char *name;
  const JSCFunctionListEntry *functions;
  const size_t *count;
};

static const struct platform_module platform_modules[] = {
    {"sys:files", files_functions, &files_function_count},
    {"sys:processes", processes_functions, &processes_function_count},
    {"sys:signals", signals_functions, &signals_function_count},
    {"sys:loop", loop_functions, &loop_function_count},
    {"sys:sockets", sockets_functions, &sockets_function_count},
    {"sys:text", text_functions, &text_function_count},
};

static const struct platform_module *find_platform_module(const char *name) {
  for (size_t i = 0; i < countof(platform_modules); i++) {
    if (strcmp(platform_modules[i].name, name) == 0) return &platform_modules[i];
  }
  return NULL;
}

static int init_platform_module(JSContext *ctx, JSModuleDef *m) {
  JSAtom atom = JS_GetModuleName(ctx, m);
  const char *name = JS_AtomToCString(ctx, atom);
  JS_FreeAtom(ctx, atom);
  const struct platform_module *module = name == NULL ? NULL : find_platform_module(name);
  JS_FreeCString(ctx, name);
  if (module == NULL) return -1;
  return JS_SetModuleExportList(ctx, m, module->functions, (int)*module->count);
}

JSModuleDef *platform_module(JSContext *ctx, const char *name) {
  const struct platform_module *module = find_platform_module(name);
  if (module == NULL) return NULL;
  JSModuleDef *m = JS_NewCModule(ctx, name, init_platform_module);
  if (m != NULL) JS_AddModuleExportList(ctx, m, module->functions, (int)*module->count);
  return m;
}

/* Module names are flat: a bundle's parts import each other as "./NAME.js". */
static char *normalize_name(JSContext *ctx, const char *base, const char *name, void *opaque) {
  (void)base, (void)opaque;
  if (strncmp(name, "./", 2) == 0) name += 2;
  size_t length = strlen(name);
  char *copy = js_malloc(ctx, length + 1);
  if (copy != NULL) memcpy(copy, name, length + 1);
  return copy;
}

/* Rejections not handled by the time the jobs have run: an uncaught error, as in Node. */
#define MAX_UNHANDLED 64
static JSValue unhandled_promises[MAX_UNHANDLED];
static JSValue unhandled_reasons[MAX_UNHANDLED];
static int unhandled_count;

static void track_rejection(JSContext *ctx, JSValueConst promise, JSValueConst reason, JS_BOOL is_handled, void *opaque) {
  (void)opaque;
  if (is_handled) {
    for (int i = 0; i < unhandled_count; i++) {
      if (JS_VALUE_GET_PTR(unhandled_promises[i]) != JS_VALUE_GET_PTR(promise)) continue;
      JS_FreeValue(ctx, unhandled_promises[i]);
      JS_FreeValue(ctx, unhandled_reasons[i]);
      unhandled_count--;
      unhandled_promises[i] = unhandled_promises[unhandled_count];
      unhandled_reasons[i] = unhandled_reasons[unhandled_count];
      return;
    }
    return;
  }
  if (unhandled_count == MAX_UNHANDLED) {
    JS_Throw(ctx, JS_DupValue(ctx, reason));
    die_of_exception(ctx);
  }
  unhandled_promises[unhandled_count] = JS_DupValue(ctx, promise);
  unhandled_reasons[unhandled_count] = JS_DupValue(ctx, reason);
  unhandled_count++;
}

JSContext *new_context(JSModuleLoaderFunc *loader) {
  JSRuntime *runtime = JS_NewRuntime2(&engine_memory, NULL);
  if (runtime == NULL) die("cannot create the JavaScript runtime");
  JS_SetModuleLoaderFunc(runtime, normalize_name, loader, NULL);
  JS_SetHostPromiseRejectionTracker(runtime, track_rejection, NULL);
  JSContext *ctx = JS_NewContextRaw(runtime);
  if (ctx == NULL) die("cannot create the JavaScript context");
  JS_AddIntrinsicBaseObjects(ctx);
  JS_AddIntrinsicDate(ctx);
  JS_AddIntrinsicEval(ctx);
  JS_AddIntrinsicRegExpCompiler(ctx);
  JS_AddIntrinsicRegExp(ctx);
  JS_AddIntrinsicJSON(ctx);
  JS_AddIntrinsicProxy(ctx);
  JS_AddIntrinsicMapSet(ctx);
  JS_AddIntrinsicTypedArrays(ctx);
  JS_AddIntrinsicPromise(ctx);
  JS_AddIntrinsicBigInt(ctx);
  return ctx;
}

static void write_all(const char *text, size_t length) {
  while (length > 0) {
    ssize_t wrote = write(2, text, length);
    if (wrote <= 0) return;
    text += wrote;
    length -= (size_t)wrote;
  }
}

static void print_value(JSContext *ctx, JSValueConst value) {
  const char *text = JS_ToCString(ctx, value);
  if (text != NULL) {
    write_all(text, strlen(text));
    write_all("\n", 1);
    JS_FreeCString(ctx, text);
  }
  if (!JS_IsError(ctx, value)) return;
  JSValue stack = JS_GetPropertyStr(ctx, value, "stack");
  if (JS_IsString(stack)) print_value(ctx, stack);
  JS_FreeValue(ctx, stack);
}

void die_of_exception(JSContext *ctx) {
  JSValue exception = JS_GetException(ctx);
  write_all("Uncaught ", 9);
  print_value(ctx, exception);
  _exit(1);
}

void die(const char *message) {
  char text[256];
  int length = snprintf(text, sizeof text, "my_init: %s: %s\n", message, strerror(errno));
  write_all(text, length > 0 ? (size_t)length : 0);
  _exit(1);
}

void run_jobs(JSContext *ctx) {
  JSContext *job_context;
  for (;;) {
    int ran = JS_ExecutePendingJob(JS_GetRuntime(ctx), &job_context);
    if (ran < 0) die_of_exception(job_context);
    if (ran == 0) break;
  }
  if (unhandled_count > 0) {
    write_all("Uncaught (in promise) ", 22);
    print_value(ctx, unhandled_reasons[0]);
    _exit(1);
  }
}
