/* hostops_scan: batched UDP probe send/receive for amplification scans (filled in by src/amp). */
#include <node_api.h>

static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, "hostops_scan 0", NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "version", NAPI_AUTO_LENGTH, Version, NULL, &fn);
  napi_set_named_property(env, exports, "version", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
