/*
 * Between C and JavaScript values: arguments in, results out, and the text
 * codecs (module sys:text) the engine lacks: QuickJS 2021-03-27 has no
 * TextEncoder or TextDecoder, and its own UTF-8 reader replaces invalid
 * input differently from Node. These follow the WHATWG encoding standard, so
 * a file name or a value with invalid bytes reads as it did under Node.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "platform.h"

bool get_int(JSContext *ctx, JSValueConst value, int32_t *out) {
  if (!JS_IsNumber(value)) {
    JS_ThrowTypeError(ctx, "expected an integer");
    return false;
  }
  return JS_ToInt32(ctx, out, value) == 0;
}

bool get_uint64(JSContext *ctx, JSValueConst value, uint64_t *out) {
  if (JS_IsBigInt(ctx, value)) return JS_ToBigInt64(ctx, (int64_t *)out, value) == 0;
  int64_t number;
  if (!JS_IsNumber(value) || JS_ToInt64(ctx, &number, value) != 0 || number < 0) {
    JS_ThrowTypeError(ctx, "expected a bigint or a number of at least 0");
    return false;
  }
  *out = (uint64_t)number;
  return true;
}

const char *get_string(JSContext *ctx, JSValueConst value) {
  if (!JS_IsString(value)) {
    JS_ThrowTypeError(ctx, "expected a string");
    return NULL;
  }
  return JS_ToCString(ctx, value);
}

char *get_path(JSContext *ctx, JSValueConst value) {
  if (JS_IsString(value)) {
    const char *text = JS_ToCString(ctx, value);
    if (text == NULL) return NULL;
    char *copy = js_strdup(ctx, text);
    JS_FreeCString(ctx, text);
    if (copy == NULL) JS_ThrowOutOfMemory(ctx);
    return copy;
  }
  size_t length;
  const uint8_t *bytes = get_bytes(ctx, value, &length);
  if (bytes == NULL) return NULL;
  if (memchr(bytes, 0, length) != NULL) {
    JS_ThrowTypeError(ctx, "a path cannot hold a NUL byte");
    return NULL;
  }
  char *copy = js_malloc(ctx, length + 1);
  if (copy == NULL) {
    JS_ThrowOutOfMemory(ctx);
    return NULL;
  }
  memcpy(copy, bytes, length);
  copy[length] = '\0';
  return copy;
}

void free_vector(JSContext *ctx, char **vector) {
  if (vector == NULL) return;
  for (char **p = vector; *p != NULL; p++) js_free(ctx, *p);
  js_free(ctx, vector);
}

static bool array_length(JSContext *ctx, JSValueConst array, uint32_t *length) {
  if (!JS_IsArray(ctx, array)) {
    JS_ThrowTypeError(ctx, "expected an array");
    return false;
  }
  JSValue value = JS_GetPropertyStr(ctx, array, "length");
  int failed = JS_ToUint32(ctx, length, value);
  JS_FreeValue(ctx, value);
  return failed == 0;
}

char **get_string_vector(JSContext *ctx, JSValueConst array) {
  uint32_t count;
  if (!array_length(ctx, array, &count)) return NULL;
  char **vector = js_mallocz(ctx, (count + 1) * sizeof *vector);
  if (vector == NULL) {
    JS_ThrowOutOfMemory(ctx);
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    JSValue element = JS_GetPropertyUint32(ctx, array, i);
    size_t length;
    const char *text = JS_IsString(element) ? JS_ToCStringLen(ctx, &length, element) : NULL;
    JS_FreeValue(ctx, element);
    if (text == NULL) {
      JS_ThrowTypeError(ctx, "expected an array of strings");
      free_vector(ctx, vector);
      return NULL;
    }
    vector[i] = js_strdup(ctx, text);
    JS_FreeCString(ctx, text);
    if (vector[i] == NULL) {
      JS_ThrowOutOfMemory(ctx);
      free_vector(ctx, vector);
      return NULL;
    }
  }
  return vector;
}

int get_int_array(JSContext *ctx, JSValueConst array, int32_t *out, int max) {
  uint32_t count;
  if (!array_length(ctx, array, &count)) return -1;
  if (count > (uint32_t)max) {
    JS_ThrowRangeError(ctx, "at most %d integers", max);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    JSValue element = JS_GetPropertyUint32(ctx, array, i);
    bool ok = get_int(ctx, element, &out[i]);
    JS_FreeValue(ctx, element);
    if (!ok) return -1;
  }
  return (int)count;
}

uint8_t *get_bytes(JSContext *ctx, JSValueConst view, size_t *length) {
  size_t offset, size, per_element;
  JSValue buffer = JS_GetTypedArrayBuffer(ctx, view, &offset, &size, &per_element);
  if (JS_IsException(buffer)) return NULL;
  size_t whole;
  uint8_t *base = JS_GetArrayBuffer(ctx, &whole, buffer);
  JS_FreeValue(ctx, buffer);
  if (base == NULL || per_element != 1) {
    JS_ThrowTypeError(ctx, "expected a Uint8Array");
    return NULL;
  }
  *length = size;
  return base + offset;
}

JSValue new_bytes(JSContext *ctx, const void *data, size_t length) {
  JSValue buffer = JS_NewArrayBufferCopy(ctx, data, length);
  if (JS_IsException(buffer)) return buffer;
  JSValue global = JS_GetGlobalObject(ctx);
  JSValue constructor = JS_GetPropertyStr(ctx, global, "Uint8Array");
  JSValue view = JS_CallConstructor(ctx, constructor, 1, (JSValueConst *)&buffer);
  JS_FreeValue(ctx, constructor);
  JS_FreeValue(ctx, global);
  JS_FreeValue(ctx, buffer);
  return view;
}

JSValue new_int_pair(JSContext *ctx, int first, int second) {
  JSValue pair = JS_NewArray(ctx);
  JS_SetPropertyUint32(ctx, pair, 0, JS_NewInt32(ctx, first));
  JS_SetPropertyUint32(ctx, pair, 1, JS_NewInt32(ctx, second));
  return pair;
}

/*
 * The length of the valid UTF-8 sequence at `p` (1 to 4), or 0 when the bytes
 * there are not one; then `*bad` is how many bytes the WHATWG decoder replaces
 * with one U+FFFD (the maximal subpart: at least 1).
 */
static size_t utf8_sequence(const uint8_t *p, size_t left, size_t *bad) {
  uint8_t lead = p[0];
  size_t need;
  uint8_t lower = 0x80, upper = 0xbf;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) {
    need = 1;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    need = 2;
    if (lead == 0xe0) lower = 0xa0;
    if (lead == 0xed) upper = 0x9f; /* no surrogates */
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    need = 3;
    if (lead == 0xf0) lower = 0x90;
    if (lead == 0xf4) upper = 0x8f;
  } else {
    *bad = 1;
    return 0;
  }
  size_t i = 1;
  for (; i <= need; i++) {
    if (i >= left || p[i] < lower || p[i] > upper) {
      *bad = i;
      return 0;
    }
    lower = 0x80;
    upper = 0xbf;
  }
  return need + 1;
}

/* The offset of the first invalid sequence, or `length` when all is valid. */
static size_t utf8_valid_prefix(const uint8_t *p, size_t length) {
  size_t i = 0, bad;
  while (i < length) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t n = utf8_sequence(p + i, length - i, &bad);
    if (n == 0) return i;
    i += n;
  }
  return length;
}

JSValue new_string_lossy(JSContext *ctx, const char *data, size_t length) {
  const uint8_t *p = (const uint8_t *)data;
  size_t valid = utf8_valid_prefix(p, length);
  if (valid == length) return JS_NewStringLen(ctx, data, length);
  /* At most three bytes (U+FFFD) for each byte replaced. */
  uint8_t *clean = js_malloc(ctx, length * 3 + 1);
  if (clean == NULL) return JS_ThrowOutOfMemory(ctx);
  memcpy(clean, p, valid);
  size_t out = valid, i = valid, bad;
  while (i < length) {
    size_t n = utf8_sequence(p + i, length - i, &bad);
    if (n > 0) {
      memcpy(clean + out, p + i, n);
      out += n;
      i += n;
    } else {
      clean[out++] = 0xef;
      clean[out++] = 0xbf;
      clean[out++] = 0xbd;
      i += bad;
    }
  }
  JSValue text = JS_NewStringLen(ctx, (const char *)clean, out);
  js_free(ctx, clean);
  return text;
}

/*
 * A string's UTF-8, as Buffer.from(string) makes it: QuickJS writes a lone
 * surrogate as its own three bytes (ED A0..BF xx), which become U+FFFD, also three.
 */
static char *string_utf8(JSContext *ctx, JSValueConst value, size_t *length) {
  if (!JS_IsString(value)) {
    JS_ThrowTypeError(ctx, "expected a string");
    return NULL;
  }
  const char *raw = JS_ToCStringLen2(ctx, length, value, 0);
  if (raw == NULL) return NULL;
  char *copy = js_malloc(ctx, *length + 1);
  if (copy == NULL) {
    JS_FreeCString(ctx, raw);
    JS_ThrowOutOfMemory(ctx);
    return NULL;
  }
  memcpy(copy, raw, *length + 1);
  JS_FreeCString(ctx, raw);
  uint8_t *p = (uint8_t *)copy;
  for (size_t i = 0; i + 2 < *length; i++) {
    if (p[i] == 0xed && p[i + 1] >= 0xa0) {
      p[i] = 0xef;
      p[i + 1] = 0xbf;
      p[i + 2] = 0xbd;
      i += 2;
    }
  }
  return copy;
}

/* encodeUtf8(string) -> Uint8Array */
static JSValue js_encode_utf8(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  size_t length;
  char *bytes = string_utf8(ctx, argv[0], &length);
  if (bytes == NULL) return JS_EXCEPTION;
  JSValue result = new_bytes(ctx, bytes, length);
  js_free(ctx, bytes);
  return result;
}

/* utf8Length(string) -> the number of bytes encodeUtf8 would make */
static JSValue js_utf8_length(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  size_t length;
  if (!JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "expected a string");
  const char *raw = JS_ToCStringLen2(ctx, &length, argv[0], 0);
  if (raw == NULL) return JS_EXCEPTION;
  JS_FreeCString(ctx, raw);
  return JS_NewInt64(ctx, (int64_t)length);
}

/* decodeUtf8(bytes, fatal) -> string; null when `fatal` and the bytes are not UTF-8. */
static JSValue js_decode_utf8(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  size_t length;
  const uint8_t *bytes = get_bytes(ctx, argv[0], &length);
  if (bytes == NULL) return JS_EXCEPTION;
  if (JS_ToBool(ctx, argv[1]) && utf8_valid_prefix(bytes, length) != length) return JS_NULL;
  return new_string_lossy(ctx, (const char *)bytes, length);
}

/* decodeLatin1(bytes) -> string: each byte one character, U+0000 to U+00FF. */
static JSValue js_decode_latin1(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  size_t length;
  const uint8_t *bytes = get_bytes(ctx, argv[0], &length);
  if (bytes == NULL) return JS_EXCEPTION;
  uint8_t *utf8 = js_malloc(ctx, length * 2 + 1);
  if (utf8 == NULL) return JS_ThrowOutOfMemory(ctx);
  size_t out = 0;
  for (size_t i = 0; i < length; i++) {
    uint8_t b = bytes[i];
    if (b < 0x80) {
      utf8[out++] = b;
    } else {
      utf8[out++] = (uint8_t)(0xc0 | (b >> 6));
      utf8[out++] = (uint8_t)(0x80 | (b & 0x3f));
    }
  }
  JSValue text = JS_NewStringLen(ctx, (const char *)utf8, out);
  js_free(ctx, utf8);
  return text;
}

/* encodeLatin1(string) -> Uint8Array: each UTF-16 code unit's low byte, as Buffer.from(s, 'latin1'). */
static JSValue js_encode_latin1(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  size_t length;
  if (!JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "expected a string");
  const uint8_t *p = (const uint8_t *)JS_ToCStringLen2(ctx, &length, argv[0], 0);
  if (p == NULL) return JS_EXCEPTION;
  uint8_t *out = js_malloc(ctx, length + 1);
  if (out == NULL) {
    JS_FreeCString(ctx, (const char *)p);
    return JS_ThrowOutOfMemory(ctx);
  }
  size_t n = 0;
  for (size_t i = 0; i < length;) {
    uint32_t c = p[i];
    size_t size = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (i + size > length) size = length - i;
    if (size == 2) c = ((c & 0x1f) << 6) | (p[i + 1] & 0x3f);
    if (size == 3) c = ((c & 0x0f) << 12) | ((p[i + 1] & 0x3f) << 6) | (p[i + 2] & 0x3f);
    if (size == 4) {
      /* A character beyond U+FFFF is two code units in JavaScript: both are kept. */
      c = ((c & 0x07) << 18) | ((p[i + 1] & 0x3f) << 12) | ((p[i + 2] & 0x3f) << 6) | (p[i + 3] & 0x3f);
      c -= 0x10000;
      out[n++] = (uint8_t)(0xd800 + (c >> 10));
      c = 0xdc00 + (c & 0x3ff);
    }
    out[n++] = (uint8_t)c;
    i += size;
  }
  JS_FreeCString(ctx, (const char *)p);
  JSValue result = new_bytes(ctx, out, n);
  js_free(ctx, out);
  return result;
}

static void unmap_pages(JSRuntime *rt, void *opaque, void *pages) {
  (void)rt;
  munmap(pages, (size_t)(uintptr_t)opaque);
}

/*
 * zeroedPages(length) -> Uint8Array of zeros straight from the kernel (mmap): a
 * page of it costs memory only once written, where the engine's own arrays are
 * cleared byte by byte, and so held, from the start.
 */
static JSValue js_zeroed_pages(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t length;
  if (!get_int(ctx, argv[0], &length)) return JS_EXCEPTION;
  if (length <= 0) return new_bytes(ctx, "", 0);
  void *pages = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) return errno_value(ctx);
  JSValue buffer = JS_NewArrayBuffer(ctx, pages, (size_t)length, unmap_pages, (void *)(uintptr_t)length, false);
  if (JS_IsException(buffer)) {
    munmap(pages, (size_t)length);
    return buffer;
  }
  JSValue global = JS_GetGlobalObject(ctx);
  JSValue constructor = JS_GetPropertyStr(ctx, global, "Uint8Array");
  JSValue view = JS_CallConstructor(ctx, constructor, 1, (JSValueConst *)&buffer);
  JS_FreeValue(ctx, constructor);
  JS_FreeValue(ctx, global);
  JS_FreeValue(ctx, buffer);
  return view;
}

const JSCFunctionListEntry text_functions[] = {
    JS_CFUNC_DEF("zeroedPages", 1, js_zeroed_pages),
    JS_CFUNC_DEF("encodeUtf8", 1, js_encode_utf8),
    JS_CFUNC_DEF("utf8Length", 1, js_utf8_length),
    JS_CFUNC_DEF("decodeUtf8", 2, js_decode_utf8),
    JS_CFUNC_DEF("decodeLatin1", 1, js_decode_latin1),
    JS_CFUNC_DEF("encodeLatin1", 1, js_encode_latin1),
};
const size_t text_function_count = countof(text_functions);
