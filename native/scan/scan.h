/* hostops_scan: batched UDP probing for amplification scans, plus a test responder. */
#ifndef HOSTOPS_SCAN_H
#define HOSTOPS_SCAN_H
#ifndef HOSTOPS_FUZZ /* native/fuzz/fuzz_scan.c builds responder.c without N-API */
#include <node_api.h>
#endif

/* Each received datagram is handed to JS as one fixed-size record:
 *   u32 source IPv4 (network order) | u16 source port | u16 datagram length |
 *   u16 captured bytes | u16 reserved | u32 reserved | REC_CAP bytes of payload            */
#define REC_HDR 16
#define REC_CAP 112
#define REC_SIZE (REC_HDR + REC_CAP)

#ifndef HOSTOPS_FUZZ
napi_value scanner_open(napi_env env, napi_callback_info info);
napi_value scanner_set_payloads(napi_env env, napi_callback_info info);
napi_value scanner_send(napi_env env, napi_callback_info info);
napi_value scanner_stats(napi_env env, napi_callback_info info);
napi_value scanner_close(napi_env env, napi_callback_info info);

napi_value responder_start(napi_env env, napi_callback_info info);
napi_value responder_stop(napi_env env, napi_callback_info info);

/* throw a JS Error with errno text; returns NULL for convenience */
napi_value scan_throw_errno(napi_env env, const char *what);
#endif

#endif
