/*
 * What every part of the platform shares: how arguments are read, how
 * results and failures are returned, and how a part is registered as a module.
 *
 * The platform is thin on purpose: each function makes one system call (or a
 * fixed sequence that must not be interrupted by JavaScript, such as a child
 * between vfork and exec) and returns what the kernel said. A failure is a
 * value, never an exception: the negated errno, as a number. The modules of src/system/
 * turns it into a SystemError that names the call and the path. Every decision
 * is made there, in TypeScript, where the tests can see it.
 */
#ifndef MY_INIT_PLATFORM_H
#define MY_INIT_PLATFORM_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quickjs.h"

#define countof(array) (sizeof(array) / sizeof((array)[0]))

/* The failure of the call just made: -errno. */
static inline JSValue errno_value(JSContext *ctx) {
  return JS_NewInt32(ctx, -errno);
}

/* A call's integer result, or -errno when it is negative. */
static inline JSValue int_or_errno(JSContext *ctx, long result) {
  return result < 0 ? errno_value(ctx) : JS_NewInt64(ctx, result);
}

/* 0, or -errno. */
static inline JSValue done_or_errno(JSContext *ctx, int result) {
  return result < 0 ? errno_value(ctx) : JS_NewInt32(ctx, 0);
}

/*
 * sigprocmask as the kernel does it: musl's leaves out 32 to 34 (its own,
 * for threads we do not have) of the mask it returns, so restoring that mask
 * would unblock them, and glibc programs take 34 as SIGRTMIN.
 */
int mask_signals(int how, const sigset_t *set, sigset_t *old);

/* Argument readers: false (a TypeError thrown) when the value is not of the kind. */
bool get_int(JSContext *ctx, JSValueConst value, int32_t *out);
bool get_uint64(JSContext *ctx, JSValueConst value, uint64_t *out);
/* A string argument as UTF-8; free it with JS_FreeCString. NULL (TypeError thrown) when not a string. */
const char *get_string(JSContext *ctx, JSValueConst value);
/*
 * A path: a string (as UTF-8) or a Uint8Array of raw bytes, as a C string
 * (js_free it: the engine's allocator, whose slabs serve such short-lived
 * blocks without the mmap and munmap musl's malloc made for each). NULL: TypeError thrown.
 */
char *get_path(JSContext *ctx, JSValueConst value);
/* An array of strings as a NULL-terminated vector of copies (free_vector); NULL on a bad element. */
char **get_string_vector(JSContext *ctx, JSValueConst array);
void free_vector(JSContext *ctx, char **vector);
/* An array of integers into `out` (at most `max`); the count, or -1 (TypeError thrown). */
int get_int_array(JSContext *ctx, JSValueConst array, int32_t *out, int max);
/* The bytes a Uint8Array views. NULL (TypeError thrown) when it is not one. */
uint8_t *get_bytes(JSContext *ctx, JSValueConst view, size_t *length);

/* A new Uint8Array holding a copy of `length` bytes. */
JSValue new_bytes(JSContext *ctx, const void *data, size_t length);
/* UTF-8 bytes as a string, invalid sequences each replaced by U+FFFD (as the WHATWG decoder, and Node, do). */
JSValue new_string_lossy(JSContext *ctx, const char *data, size_t length);
JSValue new_int_pair(JSContext *ctx, int first, int second);

/* Each part of the platform, as the module `sys:<name>` (see main.c). */
extern const JSCFunctionListEntry files_functions[];
extern const size_t files_function_count;
extern const JSCFunctionListEntry processes_functions[];
extern const size_t processes_function_count;
extern const JSCFunctionListEntry signals_functions[];
extern const size_t signals_function_count;
extern const JSCFunctionListEntry loop_functions[];
extern const size_t loop_function_count;
extern const JSCFunctionListEntry sockets_functions[];
extern const size_t sockets_function_count;
extern const JSCFunctionListEntry text_functions[];
extern const size_t text_function_count;

/* The engine's allocator (memory.c): slabs for small blocks, musl's malloc for the rest. */
extern const JSMallocFunctions engine_memory;

/* The loop (loop.c), which main() runs once the program's module is evaluated. */
void loop_run(JSContext *ctx);
/* Runs the promise jobs that are due; reports (and exits on) an uncaught error. */
void run_jobs(JSContext *ctx);
/* Prints the pending exception as an uncaught error, and exits 1 (as Node did). */
_Noreturn void die_of_exception(JSContext *ctx);
/* Prints `message` and the errno's text, and exits 1: the runtime itself cannot go on. */
_Noreturn void die(const char *message);

/* The process's arguments, kept by main() for processes.c (argv, and the title it rewrites). */
void processes_keep_arguments(int argc, char **argv);

#endif
