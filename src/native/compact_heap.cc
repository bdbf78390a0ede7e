// compactHeap(): the one call of the native helper that needs V8 itself, not
// Node-API. LowMemoryNotification is V8's "collect all available garbage": a
// compacting GC that also gives empty pages back. JavaScript could reach the
// same GC only through --expose-gc, which costs Node its start-up snapshot
// (7 ms of every start), or through a new context kept alive by its gc().
#include <node_api.h>
#include <v8.h>

extern "C" napi_value js_compact_heap(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  v8::Isolate::GetCurrent()->LowMemoryNotification();
  return nullptr;
}
