{
  "targets": [
    {
      "target_name": "hostops_probe",
      "sources": [
        "<!@(ls -1 native/probe/*.c)"
      ],
      "include_dirs": [
        "native/common"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ]
    },
    {
      "target_name": "hostops_raw",
      "sources": [
        "<!@(ls -1 native/raw/*.c)"
      ],
      "include_dirs": [
        "native/common"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ]
    },
    {
      "target_name": "hostops_scan",
      "sources": [
        "<!@(ls -1 native/scan/*.c)"
      ],
      "include_dirs": [
        "native/common"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ]
    },
    {
      "target_name": "hostops_spool",
      "sources": [
        "<!@(ls -1 native/spool/*.c)"
      ],
      "include_dirs": [
        "native/common"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ]
    },
    {
      "target_name": "hostops_sock",
      "sources": [
        "<!@(ls -1 native/sock/*.c)"
      ],
      "include_dirs": [
        "native/common"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ]
    }
  ]
}
