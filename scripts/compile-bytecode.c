/*
 * Build tool: compiles ES modules (the esbuild bundle's parts) to QuickJS
 * bytecode, and writes them as the C table src/platform/main.c reads.
 *
 *   compile-bytecode OUTPUT.c MODULE.js...
 *
 * Each module is named by its file's base name, which is how the parts import
 * one another ("./NAME.js"); a module's imports are compiled with it, from the
 * same directory. The platform's modules (sys:*) are the executable's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs.h"

static char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (text != NULL && fread(text, 1, (size_t)size, file) != (size_t)size) {
    free(text);
    text = NULL;
  }
  fclose(file);
  if (text == NULL) return NULL;
  text[size] = '\0';
  *length = (size_t)size;
  return text;
}

static void fail_with_exception(JSContext *ctx, const char *path) {
  JSValue exception = JS_GetException(ctx);
  const char *message = JS_ToCString(ctx, exception);
  fprintf(stderr, "compile-bytecode: %s: %s\n", path, message != NULL ? message : "(no message)");
  JSValue stack = JS_GetPropertyStr(ctx, exception, "stack");
  const char *where = JS_ToCString(ctx, stack);
  if (where != NULL) fprintf(stderr, "%s\n", where);
  exit(1);
}

/* The modules compiled so far, in the order they were: an import is compiled when first met. */
#define MAX_MODULES 256
static const char *module_names[MAX_MODULES];
static JSValue module_values[MAX_MODULES];
static int module_count;
static const char *module_directory;


static JSModuleDef *compile_module(JSContext *ctx, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", module_directory, name);
  size_t length;
  char *source = read_file(path, &length);
  if (source == NULL) {
    fprintf(stderr, "compile-bytecode: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  if (module_count == MAX_MODULES) {
    fprintf(stderr, "compile-bytecode: more than %d modules\n", MAX_MODULES);
    exit(1);
  }
  /* Compiling resolves the module's imports, which come back here first. */
  JSValue module = JS_Eval(ctx, source, length, name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
  free(source);
  if (JS_IsException(module)) fail_with_exception(ctx, path);
  module_names[module_count] = strdup(name);
  module_values[module_count] = module;
  module_count++;
  return JS_VALUE_GET_PTR(module);
}

/* The platform's modules (sys:*) exist only in the executable: here, empty stand-ins (exports are bound at run time). */
static JSModuleDef *load_module(JSContext *ctx, const char *name, void *opaque) {
  (void)opaque;
  if (strncmp(name, "sys:", 4) == 0) return JS_NewCModule(ctx, name, NULL);
  return compile_module(ctx, name);
}

static char *normalize_name(JSContext *ctx, const char *base, const char *name, void *opaque) {
  (void)base, (void)opaque;
  if (strncmp(name, "./", 2) == 0) name += 2;
  size_t length = strlen(name);
  char *copy = js_malloc(ctx, length + 1);
  if (copy != NULL) memcpy(copy, name, length + 1);
  return copy;
}

static bool compiled(const char *name) {
  for (int i = 0; i < module_count; i++) {
    if (strcmp(module_names[i], name) == 0) return true;
  }
  return false;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: compile-bytecode OUTPUT.c MODULE.js...\n");
    return 2;
  }
  JSRuntime *runtime = JS_NewRuntime();
  JS_SetModuleLoaderFunc(runtime, normalize_name, load_module, NULL);
  JSContext *ctx = JS_NewContext(runtime);
  for (int i = 2; i < argc; i++) {
    const char *slash = strrchr(argv[i], '/');
    const char *name = slash == NULL ? argv[i] : slash + 1;
    module_directory = slash == NULL ? "." : strndup(argv[i], (size_t)(slash - argv[i]));
    if (!compiled(name)) compile_module(ctx, name);
  }
  FILE *out = fopen(argv[1], "w");
  if (out == NULL) {
    fprintf(stderr, "compile-bytecode: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  fprintf(out, "/* Written by scripts/compile-bytecode.c: do not edit. */\n#include <stddef.h>\n#include <stdint.h>\n\n");
  for (int i = 0; i < module_count; i++) {
    size_t size;
    uint8_t *bytecode = JS_WriteObject(ctx, &size, module_values[i], JS_WRITE_OBJ_BYTECODE);
    if (bytecode == NULL) fail_with_exception(ctx, module_names[i]);
    fprintf(out, "static const uint8_t module_%d[%zu] = {", i, size);
    for (size_t k = 0; k < size; k++) fprintf(out, "%s%u,", k % 24 == 0 ? "\n  " : "", bytecode[k]);
    fprintf(out, "\n};\n\n");
    js_free(ctx, bytecode);
  }
  fprintf(out, "struct embedded_module {\n  const char *name;\n  const uint8_t *bytecode;\n  size_t length;\n};\n\n");
  fprintf(out, "const struct embedded_module embedded_modules[] = {\n");
  for (int i = 0; i < module_count; i++) fprintf(out, "  {\"%s\", module_%d, sizeof module_%d},\n", module_names[i], i, i);
  fprintf(out, "};\nconst size_t embedded_module_count = %d;\n", module_count);
  if (fclose(out) != 0) {
    fprintf(stderr, "compile-bytecode: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  return 0;
}
