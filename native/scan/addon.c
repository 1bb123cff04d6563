/* hostops_scan entry point: exports the scanner and the test responder. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "hostops_napi.h"
#include "scan.h"

napi_value scan_throw_errno(napi_env env, const char *what) {
  int e = errno;
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  return hostops_throw(env, e == EPERM || e == EACCES ? "EPERM" : "ESCAN", -1, msg); /* no .errno, as before */
}

static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, "hostops_scan 1", NAPI_AUTO_LENGTH, &v);
  return v;
}

static void def(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value Init(napi_env env, napi_value exports) {
  def(env, exports, "version", Version);
  def(env, exports, "open", scanner_open);
  def(env, exports, "setPayloads", scanner_set_payloads);
  def(env, exports, "send", scanner_send);
  def(env, exports, "stats", scanner_stats);
  def(env, exports, "close", scanner_close);
  def(env, exports, "responderStart", responder_start);
  def(env, exports, "responderStop", responder_stop);
  napi_value n;
  napi_create_uint32(env, REC_SIZE, &n);
  napi_set_named_property(env, exports, "RECORD_SIZE", n);
  napi_create_uint32(env, REC_CAP, &n);
  napi_set_named_property(env, exports, "RECORD_CAPTURE", n);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
