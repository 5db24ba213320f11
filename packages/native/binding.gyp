{
  "targets": [
    {
      "target_name": "liveframe_native",
      "sources": [
        "src/addon/addon-module.cc",
        "src/addon/sqlite-extension-entry.cc",
        "src/addon/connection-state.cc",
        "src/addon/change-capture.cc",
        "src/addon/savepoint-tracker.cc",
        "src/addon/js-functions.cc",
        "src/addon/value-conversion.cc",
        "src/addon/authorizer.cc",
        "src/addon/progress-deadline.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++20", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": []
    }
  ]
}
