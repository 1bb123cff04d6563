/* hostops_spool readBatch/release: a batch of -H (and -J) files read by two threads into one
 * buffer with a table of offsets (FIELDS per entry). */
#include "spool.h"

typedef struct {
  char *buf;
  size_t len, cap;
  int oom;
} out_t;

static int reserve(out_t *o, size_t more) {
  if (o->len + more <= o->cap) return 0;
  size_t c = o->cap ? o->cap : 1 << 20;
  while (c < o->len + more) c *= 2;
  char *nb = realloc(o->buf, c);
  if (!nb) { o->oom = 1; return -1; }
  o->buf = nb;
  o->cap = c;
  return 0;
}

/* -H and -J files are small (exim's header_maxsize is 1 MB; even 50000 recipients of 256 bytes
   stay far below this): a larger one is reported as EFBIG rather than read into memory. The same
   cap is in src/mailq/spool-chunk.ts (MAX_SPOOL_FILE). */
#define MAX_SPOOL_FILE ((size_t)64 << 20)

/* Opens a -H or -J file for reading: never through a symlink (ELOOP), never blocking on a FIFO
   (O_NONBLOCK; a FIFO, socket or device is ESPIPE, a directory EISDIR), never over the cap
   (EFBIG), so a hostile spool entry cannot hang a libuv thread or eat memory. fd or -errno. */
static int open_spool_file(int dfd, const char *name, struct stat *st) {
  int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return -errno;
  int err = 0;
  if (fstat(fd, st) != 0) err = errno;
  else if (!S_ISREG(st->st_mode)) err = S_ISDIR(st->st_mode) ? EISDIR : ESPIPE;
  else if ((uint64_t)st->st_size > MAX_SPOOL_FILE) err = EFBIG;
  if (err) { close(fd); return -err; }
  return fd;
}

/* Appends the whole file (one read when it fits in 64 KB, as the JS reader did); 0 or an errno.
   A file that grows past the cap while it is read is EFBIG too. */
static int read_into(out_t *o, int fd, double *len) {
  size_t start = o->len;
  for (;;) {
    size_t want = 64 * 1024;
    if (reserve(o, want)) return ENOMEM;
    ssize_t r = read(fd, o->buf + o->len, want);
    if (r < 0) {
      if (errno == EINTR) continue;
      o->len = start;
      return errno;
    }
    o->len += (size_t)r;
    if (o->len - start > MAX_SPOOL_FILE) { o->len = start; return EFBIG; }
    if ((size_t)r < want) break; /* short read of a regular file: end of file */
  }
  *len = (double)(o->len - start);
  return 0;
}

typedef struct {
  spool_t *s;
  size_t from, to;
  double *meta; /* FIELDS per entry, relative to the batch start */
  size_t base;  /* first entry of the batch */
  out_t out;
  const uint32_t *pick; /* when set, position i reads entry pick[i] (a chosen subset, in order) */
} part_t;

static void *read_part(void *arg) {
  part_t *p = arg;
  spool_t *s = p->s;
  char dname[32];
  for (size_t i = p->from; i < p->to; i++) {
    entry_t *e = &s->e[p->pick ? p->pick[i] : i];
    double *m = p->meta + (i - p->base) * FIELDS;
    int dfd = s->dirfd[e->dir];
    m[0] = (double)p->out.len;
    m[1] = 0;
    m[2] = 0;
    m[3] = -1;
    m[4] = 0;
    m[5] = -1;
    m[6] = -1;
    struct stat hs;
    /* fstat before the read: a change after it moves ctime, which the queue index checks */
    int fd = open_spool_file(dfd, e->name, &hs);
    if (fd < 0) { m[2] = -fd; continue; }
    m[6] = (double)hs.st_ino;
    m[7] = (double)hs.st_ctim.tv_sec;
    m[8] = (double)hs.st_ctim.tv_nsec;
    m[9] = (double)hs.st_size;
    int err = read_into(&p->out, fd, &m[1]);
    close(fd);
    if (err) { m[2] = err; continue; }
    struct stat st;
    memcpy(dname, e->name, e->len);
    dname[e->len - 1] = 'D';
    dname[e->len] = 0;
    if (fstatat(dfd, dname, &st, 0) == 0) m[3] = (double)st.st_size;
    if (e->journal) {
      dname[e->len - 1] = 'J';
      struct stat js;
      int jfd = open_spool_file(dfd, dname, &js);
      if (jfd >= 0) {
        double jl;
        m[4] = (double)p->out.len;
        if (read_into(&p->out, jfd, &jl) == 0) m[5] = jl;
        close(jfd);
      }
    }
  }
  return NULL;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref handle_ref;
  spool_t *s;
  size_t start, end;
  int threads;
  double *meta;
  part_t parts[2];
  int oom;
  uint32_t *pick;
} batch_t;

static void batch_execute(napi_env env, void *data) {
  batch_t *b = data;
  size_t n = b->end - b->start;
  size_t mid = b->threads > 1 && n > 64 ? b->start + n / 2 : b->end;
  b->parts[0] = (part_t){ b->s, b->start, mid, b->meta, b->start, { 0 }, b->pick };
  b->parts[1] = (part_t){ b->s, mid, b->end, b->meta, b->start, { 0 }, b->pick };
  pthread_t t;
  int started = mid < b->end && pthread_create(&t, NULL, read_part, &b->parts[1]) == 0;
  read_part(&b->parts[0]);
  if (started) pthread_join(t, NULL);
  else if (mid < b->end) read_part(&b->parts[1]);
  /* one buffer: the second part's bytes after the first's, its offsets shifted */
  out_t *a = &b->parts[0].out, *c = &b->parts[1].out;
  if (a->oom || c->oom) { b->oom = 1; return; }
  if (c->len) {
    size_t shift = a->len;
    if (reserve(a, c->len)) { b->oom = 1; return; }
    memcpy(a->buf + a->len, c->buf, c->len);
    a->len += c->len;
    for (size_t i = mid; i < b->end; i++) {
      double *m = b->meta + (i - b->start) * FIELDS;
      m[0] += (double)shift;
      m[4] += (double)shift;
    }
  }
  free(c->buf);
  c->buf = NULL;
}

static void free_buf(napi_env env, void *data, void *hint) { free(data); }

void close_dirs(spool_t *s) {
  for (int i = 0; i < s->ndirs; i++) if (s->dirfd[i] >= 0) { close(s->dirfd[i]); s->dirfd[i] = -1; }
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  batch_t *b = data;
  napi_value res, v;
  if (b->oom || status != napi_ok) {
    napi_value m, ex;
    napi_create_string_utf8(env, "out of memory reading the spool", NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &ex);
    napi_reject_deferred(env, b->deferred, ex);
    free(b->parts[0].out.buf);
  } else {
    napi_create_object(env, &res);
    out_t *a = &b->parts[0].out;
    if (a->len) napi_create_external_buffer(env, a->len, a->buf, free_buf, NULL, &v);
    else { void *p; napi_create_buffer(env, 0, &p, &v); free(a->buf); }
    napi_set_named_property(env, res, "data", v);
    napi_value ab, ta;
    void *mp;
    size_t bytes = (b->end - b->start) * FIELDS * sizeof(double);
    napi_create_arraybuffer(env, bytes, &mp, &ab);
    if (bytes) memcpy(mp, b->meta, bytes); /* an empty ArrayBuffer may have no data pointer */
    napi_create_typedarray(env, napi_float64_array, (b->end - b->start) * FIELDS, ab, 0, &ta);
    napi_set_named_property(env, res, "meta", ta);
    napi_resolve_deferred(env, b->deferred, res);
  }
  free(b->meta);
  free(b->pick);
  if (--b->s->busy == 0 && b->s->released) close_dirs(b->s);
  napi_delete_reference(env, b->handle_ref);
  napi_delete_async_work(env, b->work);
  free(b);
}

/* readBatch(handle, start, end, threads[, pick: Uint32Array]) -> Promise<{ data: Buffer, meta: Float64Array }>
   With pick, positions start..end of pick are read (entries pick[i]); without, entries start..end. */
napi_value ReadBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  spool_t *s;
  double start, end;
  int32_t threads = 2;
  if (argc < 3 || napi_get_value_external(env, argv[0], (void **)&s) != napi_ok ||
      napi_get_value_double(env, argv[1], &start) != napi_ok || napi_get_value_double(env, argv[2], &end) != napi_ok ||
      !(start >= 0) || !(end >= start) || !(end <= 4294967295.0)) { /* NaN fails every test (never cast to size_t) */
    napi_throw_type_error(env, NULL, "readBatch(handle, start, end[, threads])");
    return NULL;
  }
  if (argc > 3) napi_get_value_int32(env, argv[3], &threads);
  uint32_t *pick = NULL;
  if (argc > 4) {
    napi_valuetype vt;
    napi_typeof(env, argv[4], &vt);
    if (vt != napi_undefined) {
      napi_typedarray_type tt;
      size_t plen, poff;
      void *pdata;
      napi_value pab;
      if (napi_get_typedarray_info(env, argv[4], &tt, &plen, &pdata, &pab, &poff) != napi_ok || tt != napi_uint32_array || (double)plen < end) {
        napi_throw_type_error(env, NULL, "readBatch: pick must be a Uint32Array covering start..end");
        return NULL;
      }
      const uint32_t *src = pdata;
      for (size_t i = (size_t)start; i < (size_t)end; i++) {
        if (src[i] >= s->n) { napi_throw_range_error(env, NULL, "readBatch: pick index out of range"); return NULL; }
      }
      pick = malloc(plen * sizeof *pick + 1);
      if (!pick) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
      memcpy(pick, src, plen * sizeof *pick);
    }
  } else if (end > (double)s->n) {
    napi_throw_type_error(env, NULL, "readBatch(handle, start, end[, threads])");
    return NULL;
  }
  batch_t *b = calloc(1, sizeof *b);
  if (!b) { free(pick); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  b->pick = pick;
  b->s = s;
  b->start = (size_t)start;
  b->end = (size_t)end;
  b->threads = threads;
  b->meta = calloc((b->end - b->start) * FIELDS + 1, sizeof(double));
  if (!b->meta) { free(pick); free(b); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  napi_create_reference(env, argv[0], 1, &b->handle_ref); /* keeps the dirfds open meanwhile */
  s->busy++;
  return queue_work(env, "hostops_spool.readBatch", batch_execute, batch_complete, b, &b->deferred, &b->work);
}
/* release(handle): close the directory descriptors now rather than at garbage collection. */
napi_value Release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  spool_t *s;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&s) != napi_ok) return NULL;
  /* a batch still reading (JS gave up on a read-ahead) keeps them until it completes: closed
     now, their numbers could be reused by another open and read from the wrong directory */
  if (s->busy) s->released = 1;
  else close_dirs(s);
  return NULL;
}
