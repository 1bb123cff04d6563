/*
 * hostops_spool: bulk reader for Exim's spool. JS asks once for the sorted list of -H names
 * (readdir of input/ and its one-character subdirectories, in exim -bp order) and then for
 * batches of files: each batch is read by two threads (openat/read/close of -H, fstatat of -D,
 * the -J journal when the listing had one) into one buffer plus a table of offsets, so JS makes
 * no per-file system calls. Parsing stays in JS (src/mailq/spool-parse.ts), where exim's rules
 * are kept in one place.
 */
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

static int is_alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static int is_h_name(const char *n, size_t len) {
  return (len == 18 || len == 25) && n[len - 2] == '-' && n[len - 1] == 'H';
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_entry(const void *pa, const void *pb) {
  const entry_t *a = pa, *b = pb;
  int c = strcmp(a->key, b->key);
  if (c) return c;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void spool_free(spool_t *s) {
  if (!s) return;
  for (int i = 0; i < s->ndirs; i++) if (s->dirfd[i] >= 0) close(s->dirfd[i]);
  free(s->e);
  free(s);
}

/* Lists one directory: -H entries appended, -J names matched to them. Returns 0 or an errno. */
static int list_dir(spool_t *s, int dfd, int dirIndex, char (*subs)[2], int *nsubs) {
  int fd2 = dup(dfd);
  if (fd2 < 0) return errno;
  DIR *d = fdopendir(fd2);
  if (!d) { int e = errno; close(fd2); return e; }
  size_t first = s->n;
  char **jn = NULL;
  size_t nj = 0, jcap = 0;
  struct dirent *de;
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    const char *n = de->d_name;
    size_t len = strlen(n);
    if (is_h_name(n, len)) {
      if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        entry_t *ne = realloc(s->e, s->cap * sizeof *ne);
        if (!ne) { closedir(d); free(jn); return ENOMEM; }
        s->e = ne;
      }
      entry_t *e = &s->e[s->n];
      memcpy(e->name, n, len + 1);
      e->len = (uint8_t)len;
      e->dir = (uint8_t)dirIndex;
      e->journal = 0;
      e->seq = (uint32_t)s->n;
      memcpy(e->key, n, 6);
      size_t from = len == 25 ? 19 : 14;
      memcpy(e->key + 6, n + from, len - from);
      e->key[6 + len - from] = 0;
      s->n++;
    } else if (len >= 2 && n[len - 2] == '-' && n[len - 1] == 'J') {
      if (nj == jcap) {
        jcap = jcap ? jcap * 2 : 256;
        char **nn = realloc(jn, jcap * sizeof *nn);
        if (!nn) { closedir(d); for (size_t i = 0; i < nj; i++) free(jn[i]); free(jn); return ENOMEM; }
        jn = nn;
      }
      jn[nj] = strndup(n, len - 2);
      if (!jn[nj]) { closedir(d); for (size_t i = 0; i < nj; i++) free(jn[i]); free(jn); return ENOMEM; }
      nj++;
    } else if (subs && len == 1 && is_alnum((unsigned char)n[0]) && *nsubs < MAXDIRS - 1) {
      subs[*nsubs][0] = n[0];
      subs[*nsubs][1] = 0;
      (*nsubs)++;
    }
    errno = 0;
  }
  int rerr = errno;
  closedir(d);
  if (nj) {
    qsort(jn, nj, sizeof *jn, cmp_str);
    char id[26];
    for (size_t i = first; i < s->n; i++) {
      entry_t *e = &s->e[i];
      memcpy(id, e->name, e->len - 2u);
      id[e->len - 2] = 0;
      const char *k = id;
      if (bsearch(&k, jn, nj, sizeof *jn, cmp_str)) e->journal = 1;
    }
    for (size_t i = 0; i < nj; i++) free(jn[i]);
  }
  free(jn);
  return rerr;
}

/* ---- N-API helpers ---- */

static napi_value throw_errno(napi_env env, int err, const char *what, const char *path) {
  char msg[4200];
  snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(err));
  napi_value m, code, ex;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  const char *name = err == ENOENT ? "ENOENT" : err == ENOTDIR ? "ENOTDIR" : err == EACCES ? "EACCES" : err == EPERM ? "EPERM" : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, m, &ex);
  napi_set_named_property(env, ex, "code", code);
  napi_value en;
  napi_create_int32(env, err, &en);
  napi_set_named_property(env, ex, "errno", en);
  napi_throw(env, ex);
  return NULL;
}

static int get_path(napi_env env, napi_value v, char *out, size_t cap) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, out, cap, &len) != napi_ok || len >= cap - 1) {
    napi_throw_type_error(env, NULL, "path expected");
    return -1;
  }
  return 0;
}

static void finalize_spool(napi_env env, void *data, void *hint) { spool_free(data); }

static int open_dir(int at, const char *path) {
  return openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* scan(inputDir) -> { handle, count, names (latin1 string), nameLen, dir, journal, subdirs } */
static napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  if (argc < 1 || get_path(env, argv[0], path, sizeof path)) return NULL;
  spool_t *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, ENOMEM, "cannot list", path);
  for (int i = 0; i < MAXDIRS; i++) s->dirfd[i] = -1;
  int top = open_dir(AT_FDCWD, path);
  if (top < 0) { int e = errno; spool_free(s); return throw_errno(env, e, "cannot read the spool directory", path); }
  s->dirfd[0] = top;
  s->subdir[0] = 0;
  s->ndirs = 1;
  char subs[MAXDIRS][2];
  int nsubs = 0;
  int err = list_dir(s, top, 0, subs, &nsubs);
  if (err) { spool_free(s); return throw_errno(env, err, "cannot read the spool directory", path); }
  for (int i = 0; i < nsubs; i++) {
    int fd = open_dir(top, subs[i]);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      int e = errno;
      spool_free(s);
      return throw_errno(env, e, "cannot read the spool subdirectory", subs[i]);
    }
    int di = s->ndirs++;
    s->dirfd[di] = fd;
    s->subdir[di] = subs[i][0];
    err = list_dir(s, fd, di, NULL, NULL);
    if (err && err != ENOENT && err != ENOTDIR) { spool_free(s); return throw_errno(env, err, "cannot read the spool subdirectory", subs[i]); }
  }
  if (s->n) qsort(s->e, s->n, sizeof *s->e, cmp_entry); /* an empty spool has no array (qsort wants one) */

  napi_value res, v;
  napi_create_object(env, &res);
  napi_create_external(env, s, finalize_spool, NULL, &v);
  napi_set_named_property(env, res, "handle", v);
  napi_create_double(env, (double)s->n, &v);
  napi_set_named_property(env, res, "count", v);
  size_t total = 0;
  for (size_t i = 0; i < s->n; i++) total += s->e[i].len;
  char *names = malloc(total + 1);
  void *meta = NULL;
  napi_value ab;
  if (!names || napi_create_arraybuffer(env, s->n * 3 + 1, &meta, &ab) != napi_ok) { free(names); return throw_errno(env, ENOMEM, "cannot list", path); }
  uint8_t *m = meta;
  size_t off = 0;
  for (size_t i = 0; i < s->n; i++) {
    memcpy(names + off, s->e[i].name, s->e[i].len);
    off += s->e[i].len;
    m[i] = s->e[i].len;
    m[s->n + i] = (uint8_t)s->subdir[s->e[i].dir];
    m[2 * s->n + i] = s->e[i].journal;
  }
  napi_create_string_latin1(env, names, total, &v);
  free(names);
  napi_set_named_property(env, res, "names", v);
  napi_value ta;
  napi_create_typedarray(env, napi_uint8_array, s->n, ab, 0, &ta);
  napi_set_named_property(env, res, "nameLen", ta);
  napi_create_typedarray(env, napi_uint8_array, s->n, ab, s->n, &ta);
  napi_set_named_property(env, res, "subdir", ta);
  napi_create_typedarray(env, napi_uint8_array, s->n, ab, 2 * s->n, &ta);
  napi_set_named_property(env, res, "journal", ta);
  return res;
}

/* count(inputDir): exim -bpc, -H names in input/ and its subdirectories, no file opened. */
static napi_value Count(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  if (argc < 1 || get_path(env, argv[0], path, sizeof path)) return NULL;
  int top = open_dir(AT_FDCWD, path);
  if (top < 0) return throw_errno(env, errno, "cannot read the spool directory", path);
  double n = 0;
  char subs[MAXDIRS][2];
  int nsubs = 0;
  for (int pass = -1; pass < nsubs; pass++) {
    int fd = pass < 0 ? top : open_dir(top, subs[pass]);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      int e = errno;
      close(top);
      return throw_errno(env, e, "cannot read the spool subdirectory", subs[pass]);
    }
    int dfd = pass < 0 ? dup(fd) : fd;
    DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
    if (!d) { int e = errno; if (dfd >= 0) close(dfd); close(top); return throw_errno(env, e, "cannot read the spool directory", path); }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
      const char *nm = de->d_name;
      size_t len = strlen(nm);
      if (is_h_name(nm, len)) n++;
      else if (pass < 0 && len == 1 && is_alnum((unsigned char)nm[0]) && nsubs < MAXDIRS - 1) {
        subs[nsubs][0] = nm[0];
        subs[nsubs][1] = 0;
        nsubs++;
      }
      errno = 0;
    }
    int e = errno;
    closedir(d);
    if (e && !(pass >= 0 && (e == ENOENT || e == ENOTDIR))) { close(top); return throw_errno(env, e, "cannot read the spool directory", path); }
  }
  close(top);
  napi_value v;
  napi_create_double(env, n, &v);
  return v;
}

/* Queues work on libuv's pool and returns the promise its completion settles. */
static napi_value queue_work(napi_env env, const char *what, napi_async_execute_callback run, napi_async_complete_callback done,
                             void *data, napi_deferred *deferred, napi_async_work *work) {
  napi_value promise, name;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, run, done, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}

/* ---- batch reading ---- */

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

static void close_dirs(spool_t *s) {
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
static napi_value ReadBatch(napi_env env, napi_callback_info info) {
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

/* ---- verify: is every -H file of the queue index still the one that was read? ---- */

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
static napi_value Verify(napi_env env, napi_callback_info info) {
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

/* release(handle): close the directory descriptors now rather than at garbage collection. */
static napi_value Release(napi_env env, napi_callback_info info) {
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

napi_value ml_new(napi_env env, napi_callback_info info);
napi_value ml_feed(napi_env env, napi_callback_info info);
napi_value ml_result(napi_env env, napi_callback_info info);

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
