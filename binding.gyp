{
  "targets": [
    {
      "target_name": "init_native",
      "sources": ["src/native/init_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11"]
    }
  ]
}
