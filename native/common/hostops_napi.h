/* Shared by the five addons (binding.gyp include_dirs: native/common): the N-API status check
 * and the one way an addon throws an errno-carrying Error. Each addon still chooses its own
 * `code` names (the set JS expects from it); only the building of the Error lives here. */
#ifndef HOSTOPS_NAPI_H
#define HOSTOPS_NAPI_H
#include <node_api.h>

/* For functions returning napi_value: throw and return NULL when an N-API call fails. */
#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "napi call failed: " #call); return NULL; } } while (0)

/* Throws Error(msg) with .code = code and, when err >= 0, .errno = err. Returns NULL so a
 * napi callback can `return hostops_throw(...)`. */
static inline napi_value hostops_throw(napi_env env, const char *code, int err, const char *msg) {
  napi_value ex, c, m;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &ex);
  if (err >= 0) {
    napi_value en;
    napi_create_int32(env, err, &en);
    napi_set_named_property(env, ex, "errno", en);
  }
  napi_throw(env, ex);
  return NULL;
}
#endif
