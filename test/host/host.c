/*
 * The unit tests' host: the engine and the platform of the executable
 * (src/platform/), running an ES module bundle read from a file rather than
 * the executable's embedded bytecode. So the tests run on what ships: the
 * same QuickJS, the same regular expressions and string functions, the same
 * system calls behind src/system/.
 *
 *   test-host BUNDLE.js [ARGUMENTS...]
 *
 * The bundle may import only the platform's modules (sys:files, ...): the test
 * runner bundles everything else into it. Its argv (processes.argv) is
 * BUNDLE.js and the arguments after it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform.h"
#include "runtime.h"

static JSModuleDef *load_module(JSContext *ctx, const char *name, void *opaque) {
  (void)opaque;
  JSModuleDef *platform = platform_module(ctx, name);
  if (platform == NULL) JS_ThrowReferenceError(ctx, "the test host has only the platform's modules (sys:*), not %s: bundle it", name);
  return platform;
}

/* The whole file, NUL-terminated (JS_Eval needs the terminator); exits when it cannot be read. */
static char *read_source(const char *path, size_t *length) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat info;
  if (fd < 0 || fstat(fd, &info) < 0) die(path);
  char *source = malloc((size_t)info.st_size + 1);
  if (source == NULL) die("cannot hold the bundle");
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, source + got, (size_t)info.st_size - got);
    if (n < 0) die(path);
    if (n == 0) break;
    got += (size_t)n;
    if (got == (size_t)info.st_size) break;
  }
  close(fd);
  source[got] = '\0';
  *length = got;
  return source;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    static const char usage[] = "usage: test-host BUNDLE.js [ARGUMENTS...]\n";
    ssize_t ignored = write(2, usage, sizeof usage - 1);
    (void)ignored;
    return 2;
  }
  processes_keep_arguments(argc - 1, argv + 1);
  JSContext *ctx = new_context(load_module);
  size_t length;
  char *source = read_source(argv[1], &length);
  JSValue result = JS_Eval(ctx, source, length, argv[1], JS_EVAL_TYPE_MODULE);
  free(source);
  if (JS_IsException(result)) die_of_exception(ctx);
  JS_FreeValue(ctx, result);
  loop_run(ctx);
  return 0;
}
