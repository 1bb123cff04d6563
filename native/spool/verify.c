/* hostops_spool verify: is every -H file of the queue index still the one that was read? */
#include "spool.h"

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref list_ref, expect_ref;
  int top;
  int subfd[128]; /* by subdirectory character; -1 until opened */
  const char *list; /* "<c>/<name>\n" or "<name>\n" per row */
  size_t listLen;
  const double *expect; /* per row: ino (negative: skip), ctime sec, ctime nsec, size */
  size_t rows;
  const char **row; /* start of each row's path in list */
  volatile int mismatch;
  int err;
  pthread_mutex_t lock;
  uint8_t *each; /* when set: per row 1 = unchanged, 0 = changed or skipped; no early stop */
} verify_t;

typedef struct { verify_t *v; size_t from, to; } vpart_t;

static int sub_fd(verify_t *v, unsigned char c) {
  /* the list comes from the index file on disk: any byte can be here, exim's subdirectories are
     one base-62 character (subfd has 128 slots) */
  if (!is_alnum(c)) return -2;
  pthread_mutex_lock(&v->lock);
  if (v->subfd[c] == -1) {
    char n[2] = { (char)c, 0 };
    v->subfd[c] = openat(v->top, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (v->subfd[c] < 0) v->subfd[c] = -2;
  }
  int fd = v->subfd[c];
  pthread_mutex_unlock(&v->lock);
  return fd;
}

static void *verify_part(void *arg) {
  vpart_t *p = arg;
  verify_t *v = p->v;
  char name[32];
  for (size_t i = p->from; i < p->to && (v->each || !v->mismatch); i++) {
    const double *x = v->expect + i * 4;
    if (x[0] < 0) { if (v->each) v->each[i] = 0; continue; }
    const char *r = v->row[i];
    const char *end = memchr(r, '\n', (size_t)(v->list + v->listLen - r));
    size_t len = end ? (size_t)(end - r) : (size_t)(v->list + v->listLen - r);
    int dfd = v->top;
    if (len > 2 && r[1] == '/') {
      dfd = sub_fd(v, (unsigned char)r[0]);
      r += 2;
      len -= 2;
    }
    int same = 0;
    if (dfd >= 0 && len < sizeof name && !memchr(r, '/', len)) { /* a name, never a path elsewhere */
      memcpy(name, r, len);
      name[len] = 0;
      struct stat st;
      same = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (double)st.st_ino == x[0] &&
        (double)st.st_ctim.tv_sec == x[1] && (double)st.st_ctim.tv_nsec == x[2] && (double)st.st_size == x[3];
    }
    if (v->each) v->each[i] = (uint8_t)same;
    else if (!same) v->mismatch = 1;
  }
  return NULL;
}

static void verify_execute(napi_env env, void *data) {
  verify_t *v = data;
  v->row = malloc((v->rows + 1) * sizeof *v->row);
  if (!v->row) { v->err = ENOMEM; return; }
  const char *p = v->list, *end = v->list + v->listLen;
  for (size_t i = 0; i < v->rows; i++) {
    if (p >= end) { v->mismatch = 1; if (v->each) memset(v->each, 0, v->rows); return; } /* a short list: nothing is trusted */
    v->row[i] = p;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  size_t mid = v->rows / 2;
  vpart_t a = { v, 0, mid }, b = { v, mid, v->rows };
  pthread_t t;
  int started = v->rows > 256 && pthread_create(&t, NULL, verify_part, &b) == 0;
  if (!started) a.to = v->rows;
  verify_part(&a);
  if (started) pthread_join(t, NULL);
}

static void verify_complete(napi_env env, napi_status status, void *data) {
  verify_t *v = data;
  napi_value r;
  if (v->err || status != napi_ok) {
    napi_value m, ex;
    napi_create_string_utf8(env, strerror(v->err ? v->err : EIO), NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &ex);
    napi_reject_deferred(env, v->deferred, ex);
  } else {
    if (v->each) {
      void *p;
      napi_value ab;
      napi_create_arraybuffer(env, v->rows, &p, &ab);
      if (v->rows) memcpy(p, v->each, v->rows);
      napi_create_typedarray(env, napi_uint8_array, v->rows, ab, 0, &r);
    } else napi_get_boolean(env, !v->mismatch, &r);
    napi_resolve_deferred(env, v->deferred, r);
  }
  free(v->each);
  for (int i = 0; i < 128; i++) if (v->subfd[i] >= 0) close(v->subfd[i]);
  close(v->top);
  free(v->row);
  pthread_mutex_destroy(&v->lock);
  napi_delete_reference(env, v->list_ref);
  napi_delete_reference(env, v->expect_ref);
  napi_delete_async_work(env, v->work);
  free(v);
}

/* verify(inputDir, list: Buffer, expect: Float64Array, rows[, each]) -> Promise<boolean>: true when
   every listed -H file still has the inode, ctime and size recorded (rows with a negative inode
   skipped). With each = true: Promise<Uint8Array>, 1 per row that is unchanged. */
napi_value Verify(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  void *list, *expect;
  size_t listLen, expectLen;
  double rows;
  napi_typedarray_type tt;
  napi_value ab;
  size_t off;
  if (argc < 4) { napi_throw_type_error(env, NULL, "verify(inputDir, list, expect, rows)"); return NULL; }
  if (get_path(env, argv[0], path, sizeof path)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &list, &listLen) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &tt, &expectLen, &expect, &ab, &off) != napi_ok || tt != napi_float64_array ||
      napi_get_value_double(env, argv[3], &rows) != napi_ok || !(rows >= 0) || !((double)expectLen >= rows * 4)) {
    napi_throw_type_error(env, NULL, "verify(inputDir, list, expect, rows)");
    return NULL;
  }
  int top = open_dir(AT_FDCWD, path);
  if (top < 0) return throw_errno(env, errno, "cannot read the spool directory", path);
  verify_t *v = calloc(1, sizeof *v);
  if (!v) { close(top); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  v->top = top;
  for (int i = 0; i < 128; i++) v->subfd[i] = -1;
  v->list = list;
  v->listLen = listLen;
  v->expect = expect;
  v->rows = (size_t)rows;
  bool each = false;
  if (argc > 4) napi_get_value_bool(env, argv[4], &each);
  if (each) {
    v->each = calloc(v->rows + 1, 1);
    if (!v->each) { close(top); free(v); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  }
  pthread_mutex_init(&v->lock, NULL);
  napi_create_reference(env, argv[1], 1, &v->list_ref);
  napi_create_reference(env, argv[2], 1, &v->expect_ref);
  return queue_work(env, "hostops_spool.verify", verify_execute, verify_complete, v, &v->deferred, &v->work);
}
