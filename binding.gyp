{
  "targets": [
    {
      "target_name": "init_native",
      "sources": ["src/native/init_native.c", "src/native/compact_heap.cc"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
