/*
 * Mainlog scanner in C: the same rules as src/mailq/mainlog-scan.ts (MainlogScanner.feed,
 * cwd, arrival), applied to raw bytes with memchr/memmem and counted in byte-keyed hash tables,
 * so JS creates no string per line. JS feeds chunks that end at line boundaries and turns the
 * final tables into its ScanState maps. Any change to the rules must be made in both places
 * (test/mailq/native.test.ts compares them).
 */
#define _GNU_SOURCE
#ifndef HOSTOPS_FUZZ /* native/fuzz/fuzz_mainlog.c includes this file for the scanner alone */
#include <node_api.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { T_HOURLY, T_SENDERS, T_AUTH, T_LOCAL, T_CLIENT, T_SMTP, T_CWDS, NTABLES };
static const char *TABLE_NAMES[NTABLES] = { "hourly", "senders", "authUsers", "localUsers", "clientIps", "smtpIps", "cwds" };

typedef struct {
  uint64_t hash;
  size_t koff; /* key bytes in the arena */
  uint32_t klen;
  double a, b, c; /* messages, recipients (cwds: invocations, submissions, admin) */
} row_t;

typedef struct {
  row_t *rows; /* insertion order, like a JS Map */
  size_t n, cap;
  int64_t *slots; /* index+1 into rows, 0 = empty */
  size_t nslots;
} table_t;

#define MAXSAMPLES 64
typedef struct { double line; uint32_t len; char text[200]; } sample_t;

typedef struct {
  /* options */
  char since[19], until[19];
  int hasSince, hasUntil, scriptsOnly, maxSamples;
  char **spoolDirs;
  size_t *spoolLens;
  int nSpool;
  /* state */
  double lines, messages, recipients, unknownRecipients, inbound, cwdLines, spoolCwdLines, garbage;
  sample_t samples[MAXSAMPLES];
  int nsamples;
  double truncated; /* cwd= lines without " N args: " (cut off) */
  sample_t tsamples[MAXSAMPLES];
  int ntsamples;
  char first[19];
  int hasFirst;
  char last[19];
  int hasLast;
  char hour[13];
  int hasHour;
  row_t *hourRow; /* index kept instead (rows move on growth) */
  size_t hourIdx;
  table_t t[NTABLES];
  char *arena;
  size_t alen, acap;
  int oom;
} ml_t;

static uint64_t hash_bytes(int table, const char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)table;
  for (size_t i = 0; i < n; i++) { h ^= (unsigned char)p[i]; h *= 1099511628211ULL; }
  return h;
}

/* The row for key (created with zero counts), or NULL when out of memory. */
static row_t *lookup(ml_t *m, int ti, const char *k, size_t kl) {
  table_t *t = &m->t[ti];
  if (t->nslots == 0 || (t->n + 1) * 2 > t->nslots) {
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    int64_t *sl = calloc(ns, sizeof *sl);
    if (!sl) { m->oom = 1; return NULL; }
    for (size_t i = 0; i < t->n; i++) {
      size_t j = t->rows[i].hash & (ns - 1);
      while (sl[j]) j = (j + 1) & (ns - 1);
      sl[j] = (int64_t)i + 1;
    }
    free(t->slots);
    t->slots = sl;
    t->nslots = ns;
  }
  uint64_t h = hash_bytes(ti, k, kl);
  size_t j = h & (t->nslots - 1);
  while (t->slots[j]) {
    row_t *r = &t->rows[t->slots[j] - 1];
    if (r->hash == h && r->klen == kl && (kl == 0 || memcmp(m->arena + r->koff, k, kl) == 0)) return r;
    j = (j + 1) & (t->nslots - 1);
  }
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 256;
    row_t *nr = realloc(t->rows, nc * sizeof *nr);
    if (!nr) { m->oom = 1; return NULL; }
    t->rows = nr;
    t->cap = nc;
  }
  if (m->alen + kl > m->acap) {
    size_t nc = m->acap ? m->acap * 2 : 1 << 16;
    while (nc < m->alen + kl) nc *= 2;
    char *na = realloc(m->arena, nc);
    if (!na) { m->oom = 1; return NULL; }
    m->arena = na;
    m->acap = nc;
  }
  if (kl) memcpy(m->arena + m->alen, k, kl); /* an empty key (sender "<>" cut to nothing) may come before any arena */
  row_t *r = &t->rows[t->n];
  *r = (row_t){ h, m->alen, (uint32_t)kl, 0, 0, 0 };
  m->alen += kl;
  t->slots[j] = (int64_t)t->n + 1;
  t->n++;
  return r;
}

static void bump(ml_t *m, int ti, const char *k, size_t kl, double r) {
  row_t *x = lookup(m, ti, k, kl);
  if (x) { x->a++; x->b += r; }
}

/* JS String.prototype.indexOf on [s, s+n) from `from`; -1 when absent. */
static long find(const char *s, long n, const char *needle, long nl, long from) {
  if (from < 0) from = 0;
  if (from > n - nl) return -1;
  /* memchr on the needle's least common byte (these needles are short; memmem's setup costs more) */
  long k = 0;
  for (long i = 0; i < nl; i++) {
    char c = needle[i];
    if (c == '=' || c == '"' || c == ']' || c == ':' || c == 'f') { k = i; break; }
  }
  const char *p = s + from + k, *last = s + n - nl + k;
  while (p <= last) {
    const char *r = memchr(p, needle[k], (size_t)(last - p + 1));
    if (!r) return -1;
    if (memcmp(r - k, needle, (size_t)nl) == 0) return (long)(r - k - s);
    p = r + 1;
  }
  return -1;
}
static long findc(const char *s, long n, char c, long from) {
  if (from < 0) from = 0;
  if (from >= n) return -1;
  const char *r = memchr(s + from, c, (size_t)(n - from));
  return r ? (long)(r - s) : -1;
}

static int isD(int c) { return c >= '0' && c <= '9'; }
static int isW(int c) { return isD(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

/* charCodeAt: -1 (NaN) past the end of the fed chunk, as in JS. */
#define AT(i) ((i) < len ? (int)(unsigned char)s[(i)] : -1)

/* fieldOf(L, name, from, limit) */
static int field_of(const char *L, long n, const char *name, long from, long limit, long *vs, long *ve) {
  long i = find(L, n, name, 3, from);
  if (i == -1 || i >= limit) return 0;
  long e = findc(L, n, ' ', i + 3);
  if (e == -1 || e > limit) e = limit;
  *vs = i + 3;
  *ve = e;
  return 1;
}

/* mainlog-scan.ts ADMIN_FLAG: some " -T" token (T up to a space or the end) is an admin flag. */
static int tok_is_admin(const char *t, long n) {
  static const char *exact[] = { "bP", "bV", "bt", "bv", "brw", "be", "bi", "v", "N" };
  for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
    if ((long)strlen(exact[i]) == n && memcmp(t, exact[i], (size_t)n) == 0) return 1;
  }
  static const char *pre[] = { "bp", "bh", "bd", "M", "q", "R", "S" };
  for (size_t i = 0; i < sizeof pre / sizeof *pre; i++) {
    long pl = (long)strlen(pre[i]);
    if (n < pl || memcmp(t, pre[i], (size_t)pl) != 0) continue;
    long j = pl;
    while (j < n && isW((unsigned char)t[j])) j++;
    if (j == n) return 1;
  }
  return 0;
}

/* isSubmission(args): the regex runs on ' ' + args. */
static int is_submission(const char *a, long n) {
  for (long i = -1; i < n - 1; i++) {
    int c0 = i < 0 ? ' ' : (unsigned char)a[i];
    if (c0 != ' ' || a[i + 1] != '-') continue;
    long st = i + 2, e = st;
    while (e < n && a[e] != ' ') e++;
    if (tok_is_admin(a + st, e - st)) return 0;
  }
  return 1;
}

static void do_cwd(ml_t *m, const char *s, long len, long a, long q) {
  m->cwdLines++;
  long args = find(s, len, " args: ", 7, a);
  if (args == -1 || args > q) {
    /* cut off before " N args: ": reported apart, its directory may be cut too */
    m->truncated++;
    if (m->ntsamples < m->maxSamples) {
      sample_t *g = &m->tsamples[m->ntsamples++];
      g->line = m->lines;
      long l = q - (a - 4) < 200 ? q - (a - 4) : 200;
      g->len = (uint32_t)l;
      memcpy(g->text, s + a - 4, (size_t)l);
    }
    return;
  }
  long end = args - 1;
  while (end > a && isD(AT(end))) end--;
  const char *dir = s + a;
  long dl = end - a;
  if (dl < 0) dl = 0; /* slice(a, end) with end < a is empty */
  for (int i = 0; i < m->nSpool; i++) {
    long sl = (long)m->spoolLens[i];
    if (dl >= sl && memcmp(dir, m->spoolDirs[i], (size_t)sl) == 0 && (dl == sl || dir[sl] == '/')) { m->spoolCwdLines++; return; }
  }
  int sub = is_submission(s + args + 7, q - (args + 7));
  row_t *r = lookup(m, T_CWDS, dir, (size_t)dl);
  if (!r) return;
  r->a++;
  if (sub) r->b++; else r->c++;
}

static void do_arrival(ml_t *m, const char *s, long p, long a, long q) {
  const char *L = s + a;
  long n = q - a;
  long se = findc(L, n, ' ', 0);
  if (se == -1) se = n;
  long tq = find(L, n, " T=\"", 4, se);
  long forAt;
  if (tq != -1) {
    forAt = tq + 4;
    for (;;) {
      forAt = find(L, n, "\" for ", 6, forAt);
      if (forAt == -1) break;
      if (forAt - 1 < 0 || L[forAt - 1] != '\\') { forAt += 1; break; }
      forAt += 2;
    }
  } else forAt = find(L, n, " for ", 5, se);
  long fe = tq != -1 ? tq : forAt != -1 ? forAt : n;
  double rc = 0;
  if (forAt != -1) {
    rc = 1;
    for (long i = findc(L, n, ' ', forAt + 5); i != -1; i = findc(L, n, ' ', i + 1)) rc++;
  } else m->unknownRecipients++;
  double r = rc ? rc : 1;
  m->messages++;
  m->recipients += rc;
  long vs, ve;
  int auth = field_of(L, n, " A=", se, fe, &vs, &ve);
  long h = find(L, n, " H=", 3, se);
  if (auth) {
    const char *av = L + vs;
    long al = ve - vs;
    const char *colon = memchr(av, ':', (size_t)al);
    if (colon) bump(m, T_AUTH, colon + 1, (size_t)(av + al - colon - 1), r);
    else bump(m, T_AUTH, av, (size_t)al, r);
    bump(m, T_SENDERS, L, (size_t)se, r);
    long b = (h == -1 || h >= fe) ? -1 : findc(L, n, '[', h);
    long e = b == -1 ? -1 : findc(L, n, ']', b);
    if (e != -1 && e < fe) bump(m, T_CLIENT, L + b + 1, (size_t)(e - b - 1), r);
  } else if (h != -1 && h < fe) {
    m->inbound++;
    long b = findc(L, n, '[', h);
    long e = b == -1 ? -1 : findc(L, n, ']', b);
    if (e != -1 && e < fe) bump(m, T_SMTP, L + b + 1, (size_t)(e - b - 1), r);
  } else {
    bump(m, T_SENDERS, L, (size_t)se, r);
    long us, ue, ps, pe;
    int u = field_of(L, n, " U=", se, fe, &us, &ue);
    int pr = field_of(L, n, " P=", se, fe, &ps, &pe);
    if (u && (!pr || (pe - ps >= 5 && memcmp(L + ps, "local", 5) == 0))) bump(m, T_LOCAL, L + us, (size_t)(ue - us), r);
  }
  if (!(m->hasHour && memcmp(m->hour, s + p, 13) == 0)) {
    memcpy(m->hour, s + p, 13);
    m->hasHour = 1;
    row_t *x = lookup(m, T_HOURLY, m->hour, 13);
    if (!x) return;
    m->hourIdx = (size_t)(x - m->t[T_HOURLY].rows);
  }
  row_t *hc = &m->t[T_HOURLY].rows[m->hourIdx];
  hc->a++;
  hc->b += rc;
  /* earliest and latest time seen, not the first and last lines */
  if (!m->hasFirst || memcmp(s + p, m->first, 19) < 0) { memcpy(m->first, s + p, 19); m->hasFirst = 1; }
  if (!m->hasLast || memcmp(s + p, m->last, 19) > 0) { memcpy(m->last, s + p, 19); m->hasLast = 1; }
}

static void feed(ml_t *m, const char *s, long len) {
  long p = 0;
  while (p < len) {
    long q = findc(s, len, '\n', p);
    if (q == -1) q = len;
    m->lines++;
    if (q - p < 20 || AT(p + 4) != '-' || AT(p + 7) != '-' || AT(p + 10) != ' ' || AT(p + 13) != ':' || AT(p + 16) != ':' ||
        !isD(AT(p)) || !isD(AT(p + 18))) {
      int dots = AT(p) == '.' && AT(p + 1) == '.' && AT(p + 2) == '.';
      if (!dots && q > p) {
        m->garbage++;
        if (m->nsamples < m->maxSamples) {
          sample_t *g = &m->samples[m->nsamples++];
          g->line = m->lines;
          long l = q - p < 200 ? q - p : 200;
          g->len = (uint32_t)l;
          memcpy(g->text, s + p, (size_t)l);
        }
      }
      p = q + 1;
      continue;
    }
    if ((m->hasSince && memcmp(s + p, m->since, 19) < 0) || (m->hasUntil && memcmp(s + p, m->until, 19) >= 0)) {
      p = q + 1;
      continue;
    }
    long o = p + 19;
    if (AT(o) == '.') o += 4;
    o++;
    int c = AT(o);
    if ((c == '+' || c == '-') && isD(AT(o + 1))) { o += 6; c = AT(o); }
    if (c == '[') {
      long e = find(s, len, "] ", 2, o);
      if (e != -1 && e < q) { o = e + 2; c = AT(o); }
    }
    /* each marker must end inside this line: after a cut line ("...:00.\n") o is past q and
       the next line's bytes would be read as this one's, with a negative length (issue 11) */
    if (o + 4 <= q && c == 'c' && AT(o + 1) == 'w' && AT(o + 2) == 'd' && AT(o + 3) == '=') do_cwd(m, s, len, o + 4, q);
    else if (m->scriptsOnly) { /* arrivals not wanted */ }
    else if (AT(o + 6) == '-') {
      if (o + 20 <= q && AT(o + 13) == '-' && AT(o + 16) == ' ' && AT(o + 17) == '<' && AT(o + 18) == '=' && AT(o + 19) == ' ') do_arrival(m, s, p, o + 20, q);
      else if (o + 27 <= q && AT(o + 18) == '-' && AT(o + 23) == ' ' && AT(o + 24) == '<' && AT(o + 25) == '=' && AT(o + 26) == ' ') do_arrival(m, s, p, o + 27, q);
    }
    p = q + 1;
  }
}

/* ---- N-API ---- */
#ifndef HOSTOPS_FUZZ

static void ml_free(napi_env env, void *data, void *hint) {
  ml_t *m = data;
  for (int i = 0; i < NTABLES; i++) { free(m->t[i].rows); free(m->t[i].slots); }
  for (int i = 0; i < m->nSpool; i++) free(m->spoolDirs[i]);
  free(m->spoolDirs);
  free(m->spoolLens);
  free(m->arena);
  free(m);
}

static int get_str(napi_env env, napi_value obj, const char *key, char *out, size_t cap, size_t *len) {
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  napi_get_value_string_latin1(env, v, out, cap, len);
  return 1;
}

/* mlNew({ since?, until?, scriptsOnly?, maxSamples?, spoolDirs }) */
napi_value ml_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value o;
  napi_get_cb_info(env, info, &argc, &o, NULL, NULL);
  ml_t *m = calloc(1, sizeof *m);
  if (!m) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  char buf[64];
  size_t len;
  if (get_str(env, o, "since", buf, sizeof buf, &len) && len == 19) { memcpy(m->since, buf, 19); m->hasSince = 1; }
  if (get_str(env, o, "until", buf, sizeof buf, &len) && len == 19) { memcpy(m->until, buf, 19); m->hasUntil = 1; }
  napi_value v;
  bool bv = false;
  if (napi_get_named_property(env, o, "scriptsOnly", &v) == napi_ok) napi_get_value_bool(env, v, &bv);
  m->scriptsOnly = bv;
  int32_t ms = 20;
  if (napi_get_named_property(env, o, "maxSamples", &v) == napi_ok) napi_get_value_int32(env, v, &ms);
  m->maxSamples = ms < 0 ? 0 : ms > MAXSAMPLES ? MAXSAMPLES : ms;
  napi_value arr;
  uint32_t n = 0;
  if (napi_get_named_property(env, o, "spoolDirs", &arr) == napi_ok) napi_get_array_length(env, arr, &n);
  m->spoolDirs = calloc(n + 1, sizeof *m->spoolDirs);
  m->spoolLens = calloc(n + 1, sizeof *m->spoolLens);
  if (!m->spoolDirs || !m->spoolLens) { ml_free(env, m, NULL); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    size_t l = 0;
    napi_get_value_string_latin1(env, e, NULL, 0, &l);
    m->spoolDirs[i] = malloc(l + 1);
    if (!m->spoolDirs[i]) { ml_free(env, m, NULL); napi_throw_error(env, NULL, "out of memory"); return NULL; }
    napi_get_value_string_latin1(env, e, m->spoolDirs[i], l + 1, &l);
    m->spoolLens[i] = l;
    m->nSpool++;
  }
  napi_value ext;
  napi_create_external(env, m, ml_free, NULL, &ext);
  return ext;
}

/* mlFeed(handle, buffer, start, end): whole lines only. */
napi_value ml_feed(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  ml_t *m;
  void *data;
  size_t blen;
  double start, end;
  if (argc < 4 || napi_get_value_external(env, argv[0], (void **)&m) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &blen) != napi_ok ||
      napi_get_value_double(env, argv[2], &start) != napi_ok || napi_get_value_double(env, argv[3], &end) != napi_ok ||
      !(start >= 0) || !(end >= start) || !(end <= (double)blen)) { /* NaN fails every test */
    napi_throw_type_error(env, NULL, "mlFeed(handle, buffer, start, end)");
    return NULL;
  }
  feed(m, (const char *)data + (size_t)start, (long)(end - start));
  if (m->oom) napi_throw_error(env, NULL, "out of memory scanning the mainlog");
  return NULL;
}

static void set_num(napi_env env, napi_value o, const char *k, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  napi_set_named_property(env, o, k, v);
}

/* o[k] = [{ line, text }] for the first lines kept of one kind (garbage, truncated). */
static void set_samples(napi_env env, napi_value o, const char *k, const sample_t *samples, int n) {
  napi_value arr, g, v;
  napi_create_array_with_length(env, (size_t)n, &arr);
  for (int i = 0; i < n; i++) {
    napi_create_object(env, &g);
    set_num(env, g, "line", samples[i].line);
    napi_create_string_latin1(env, samples[i].text, samples[i].len, &v);
    napi_set_named_property(env, g, "text", v);
    napi_set_element(env, arr, (uint32_t)i, g);
  }
  napi_set_named_property(env, o, k, arr);
}

/* mlResult(handle) -> counters, first/last, samples [{line, text(latin1)}], tables as [key, a, b(, c)] arrays */
napi_value ml_result(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value h;
  napi_get_cb_info(env, info, &argc, &h, NULL, NULL);
  ml_t *m;
  if (argc < 1 || napi_get_value_external(env, h, (void **)&m) != napi_ok) { napi_throw_type_error(env, NULL, "mlResult(handle)"); return NULL; }
  napi_value o, v;
  napi_create_object(env, &o);
  set_num(env, o, "lines", m->lines);
  set_num(env, o, "messages", m->messages);
  set_num(env, o, "recipients", m->recipients);
  set_num(env, o, "unknownRecipients", m->unknownRecipients);
  set_num(env, o, "inbound", m->inbound);
  set_num(env, o, "cwdLines", m->cwdLines);
  set_num(env, o, "spoolCwdLines", m->spoolCwdLines);
  set_num(env, o, "garbage", m->garbage);
  set_num(env, o, "truncated", m->truncated);
  if (m->hasFirst) { napi_create_string_latin1(env, m->first, 19, &v); napi_set_named_property(env, o, "first", v); }
  if (m->hasLast) { napi_create_string_latin1(env, m->last, 19, &v); napi_set_named_property(env, o, "last", v); }
  set_samples(env, o, "garbageSamples", m->samples, m->nsamples);
  set_samples(env, o, "truncatedSamples", m->tsamples, m->ntsamples);
  napi_value arr;
  for (int ti = 0; ti < NTABLES; ti++) {
    table_t *t = &m->t[ti];
    int w = ti == T_CWDS ? 4 : 3;
    napi_create_array_with_length(env, t->n * (size_t)w, &arr);
    for (size_t i = 0; i < t->n; i++) {
      row_t *r = &t->rows[i];
      napi_create_string_latin1(env, m->arena + r->koff, r->klen, &v);
      napi_set_element(env, arr, (uint32_t)(i * w), v);
      napi_create_double(env, r->a, &v);
      napi_set_element(env, arr, (uint32_t)(i * w + 1), v);
      napi_create_double(env, r->b, &v);
      napi_set_element(env, arr, (uint32_t)(i * w + 2), v);
      if (w == 4) { napi_create_double(env, r->c, &v); napi_set_element(env, arr, (uint32_t)(i * w + 3), v); }
    }
    napi_set_named_property(env, o, TABLE_NAMES[ti], arr);
  }
  return o;
}
#endif /* HOSTOPS_FUZZ */
