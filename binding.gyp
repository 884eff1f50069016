{
  "targets": [
    {
      "target_name": "gradlab_native",
      "sources": [
        "native/src/addon.c",
        "native/src/threads.c",
        "native/src/gemm.c",
        "native/src/conv.c",
        "native/src/eltwise.c",
        "native/src/pool.c",
        "native/src/optim.c",
        "native/src/grouped.c",
        "native/src/norm.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-pthread", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
