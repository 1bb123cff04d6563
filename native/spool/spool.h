/* hostops_spool, shared by its files: addon.c (module init, N-API helpers), list.c (scan/count:
 * the sorted -H listing), read.c (readBatch/release: two threads read batches of files),
 * verify.c (is each indexed -H file still the one read?) and mainlog.c (the mainlog scanner). */
#ifndef HOSTOPS_SPOOL_H
#define HOSTOPS_SPOOL_H
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hostops_napi.h"

/* shared between the files of this addon only: not in the .node's dynamic symbol table */
#define SPOOL_INTERNAL __attribute__((visibility("hidden")))

#define MAXDIRS 64 /* input/ plus at most 62 one-character subdirectories */
#define FIELDS 10  /* per entry in a batch: hOff, hLen, hErrno, dSize, jOff, jLen, hIno, hCtimeSec, hCtimeNsec, hSize */

typedef struct {
  char name[26]; /* <id>-H, NUL-terminated */
  uint8_t len;
  uint8_t dir;     /* index into spool_t.dirfd */
  uint8_t journal; /* an <id>-J name was in the same listing */
  char key[14];    /* exim -bp order: time digits, then the sub-second field */
  uint32_t seq;    /* directory order, for ties */
} entry_t;

typedef struct {
  int ndirs;
  int dirfd[MAXDIRS];
  char subdir[MAXDIRS]; /* 0 for input/ itself */
  entry_t *e;
  size_t n, cap;
  int busy;     /* readBatch works in flight (their threads use dirfd) */
  int released; /* release() came while busy: close when the last one completes */
} spool_t;

SPOOL_INTERNAL int is_alnum(int c);
SPOOL_INTERNAL napi_value throw_errno(napi_env env, int err, const char *what, const char *path);
SPOOL_INTERNAL int get_path(napi_env env, napi_value v, char *out, size_t cap);
SPOOL_INTERNAL int open_dir(int at, const char *path);
SPOOL_INTERNAL napi_value queue_work(napi_env env, const char *what, napi_async_execute_callback run, napi_async_complete_callback done,
                                     void *data, napi_deferred *deferred, napi_async_work *work);
SPOOL_INTERNAL void spool_free(spool_t *s);
SPOOL_INTERNAL void close_dirs(spool_t *s);

/* the exports, by job */
SPOOL_INTERNAL napi_value Scan(napi_env env, napi_callback_info info);
SPOOL_INTERNAL napi_value Count(napi_env env, napi_callback_info info);
SPOOL_INTERNAL napi_value ReadBatch(napi_env env, napi_callback_info info);
SPOOL_INTERNAL napi_value Release(napi_env env, napi_callback_info info);
SPOOL_INTERNAL napi_value Verify(napi_env env, napi_callback_info info);
napi_value ml_new(napi_env env, napi_callback_info info);
napi_value ml_feed(napi_env env, napi_callback_info info);
napi_value ml_result(napi_env env, napi_callback_info info);
#endif
