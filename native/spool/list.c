/* hostops_spool scan/count: the -H names of input/ and its one-character subdirectories, sorted
 * in exim -bp order, kept in a handle for readBatch. */
#include "spool.h"

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

void spool_free(spool_t *s) {
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
static void finalize_spool(napi_env env, void *data, void *hint) { spool_free(data); }
/* scan(inputDir) -> { handle, count, names (latin1 string), nameLen, dir, journal, subdirs } */
napi_value Scan(napi_env env, napi_callback_info info) {
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
napi_value Count(napi_env env, napi_callback_info info) {
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
