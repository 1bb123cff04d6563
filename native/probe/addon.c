/* hostops_probe: ICMP / TTL-limited probes with kernel timestamps (filled in by src/net). */
#include <node_api.h>

static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, "hostops_probe 0", NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "version", NAPI_AUTO_LENGTH, Version, NULL, &fn);
  napi_set_named_property(env, exports, "version", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
