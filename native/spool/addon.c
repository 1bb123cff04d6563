/*
 * hostops_spool: bulk reader for Exim's spool. JS asks once for the sorted list of -H names
 * (readdir of input/ and its one-character subdirectories, in exim -bp order) and then for
 * batches of files: each batch is read by two threads (openat/read/close of -H, fstatat of -D,
 * the -J journal when the listing had one) into one buffer plus a table of offsets, so JS makes
 * no per-file system calls. Parsing stays in JS (src/mailq/spool-parse.ts), where exim's rules
 * are kept in one place.
 */
#include "spool.h"

int is_alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* ---- N-API helpers ---- */

napi_value throw_errno(napi_env env, int err, const char *what, const char *path) {
  char msg[4200];
  snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(err));
  const char *name = err == ENOENT ? "ENOENT" : err == ENOTDIR ? "ENOTDIR" : err == EACCES ? "EACCES" : err == EPERM ? "EPERM" : "EIO";
  return hostops_throw(env, name, err, msg);
}

int get_path(napi_env env, napi_value v, char *out, size_t cap) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, out, cap, &len) != napi_ok || len >= cap - 1) {
    napi_throw_type_error(env, NULL, "path expected");
    return -1;
  }
  return 0;
}

int open_dir(int at, const char *path) {
  return openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Queues work on libuv's pool and returns the promise its completion settles. */
napi_value queue_work(napi_env env, const char *what, napi_async_execute_callback run, napi_async_complete_callback done,
                      void *data, napi_deferred *deferred, napi_async_work *work) {
  napi_value promise, name;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, run, done, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}

static void def(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value Init(napi_env env, napi_value exports) {
  def(env, exports, "scan", Scan);
  def(env, exports, "count", Count);
  def(env, exports, "readBatch", ReadBatch);
  def(env, exports, "release", Release);
  def(env, exports, "verify", Verify);
  def(env, exports, "mlNew", ml_new);
  def(env, exports, "mlFeed", ml_feed);
  def(env, exports, "mlResult", ml_result);
  napi_value n;
  napi_create_uint32(env, FIELDS, &n);
  napi_set_named_property(env, exports, "FIELDS", n);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
