/*
 * Bounded fuzz driver shared by the harnesses in native/fuzz (built by test/native/fuzz.test.ts
 * with -fsanitize=address,undefined -fno-sanitize-recover=all; see docs/ARCHITECTURE.md).
 *
 * Each harness links the real parser sources and calls fuzz_run() once per entry point. An entry
 * gets `iters` inputs: one in four is random bytes (biased towards the entry's dictionary), the
 * others mutations (bit flips, interesting integers, dictionary tokens, inserted newlines, cuts,
 * splices) of a seed: a real input the harness or the test hands over. Every input is copied to
 * a heap block of exactly its size, so a read one byte past it is an AddressSanitizer report.
 *
 * On a sanitizer report the death callback writes the input being run to
 * $HOSTOPS_FUZZ_OUT/<entry>.crash (rerun it with `<harness> --run <file> <entry>`), then the
 * process dies with the sanitizer's exit status. Limits: HOSTOPS_FUZZ_ITERS (inputs per entry,
 * overrides the harness's argument), HOSTOPS_FUZZ_SECONDS (wall time per entry), HOSTOPS_FUZZ_SEED.
 */
#ifndef HOSTOPS_FUZZ_H
#define HOSTOPS_FUZZ_H
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>

typedef void (*fuzz_fn)(const uint8_t *d, size_t n);

typedef struct { uint8_t *d; size_t n; } fuzz_buf;

static uint64_t fz_state = 0x9e3779b97f4a7c15ULL;
static uint64_t fz_rand(void) { /* xorshift64* */
  fz_state ^= fz_state >> 12; fz_state ^= fz_state << 25; fz_state ^= fz_state >> 27;
  return fz_state * 2685821657736338717ULL;
}
static size_t fz_below(size_t n) { return n ? (size_t)(fz_rand() % n) : 0; }

static const char *fz_name;
static const uint8_t *fz_cur;
static size_t fz_cur_len;
static long fz_done; /* inputs finished in the current entry */

static void fz_write(const char *path, const uint8_t *d, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  while (n) { ssize_t w = write(fd, d, n); if (w <= 0) break; d += w; n -= (size_t)w; }
  close(fd);
}

static void fz_on_death(void) {
  const char *dir = getenv("HOSTOPS_FUZZ_OUT");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.crash", dir && *dir ? dir : ".", fz_name ? fz_name : "unknown");
  if (!fz_cur) { fprintf(stderr, "fuzz: report outside an input (a leak at exit?) after entry %s\n", fz_name ? fz_name : "?"); return; }
  fz_write(path, fz_cur, fz_cur_len);
  fprintf(stderr, "fuzz: entry %s crashed on input %ld (%zu bytes), saved to %s\n", fz_name ? fz_name : "?", fz_done + 1, fz_cur_len, path);
}

/* Reads a whole file (a seed or a saved crash); NULL data on failure. */
static fuzz_buf fuzz_read_file(const char *path) {
  fuzz_buf b = { NULL, 0 };
  FILE *f = fopen(path, "rb");
  if (!f) return b;
  size_t cap = 1 << 16;
  b.d = malloc(cap);
  for (size_t r; b.d && (r = fread(b.d + b.n, 1, cap - b.n, f)) > 0;) {
    b.n += r;
    if (b.n == cap) { cap *= 2; uint8_t *nd = realloc(b.d, cap); if (!nd) { free(b.d); b.d = NULL; } else b.d = nd; }
  }
  fclose(f);
  return b;
}

static const uint32_t FZ_INTS[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
                                     0x7fffffff, 0x80000000u, 0xfffffff0u, 0xfffffffeu, 0xffffffffu };

/* One input of at most maxlen bytes into out (capacity maxlen). */
static size_t fz_make(uint8_t *out, size_t maxlen, const fuzz_buf *seeds, size_t nseeds, const char *const *dict) {
  size_t ndict = 0;
  while (dict && dict[ndict]) ndict++;
  if (nseeds == 0 || fz_below(4) == 0) {
    size_t n = fz_below(maxlen + 1);
    for (size_t i = 0; i < n;) {
      if (ndict && fz_below(3) == 0) {
        const char *t = dict[fz_below(ndict)];
        size_t l = strlen(t);
        if (l > n - i) l = n - i;
        memcpy(out + i, t, l);
        i += l;
      } else out[i++] = fz_below(4) == 0 ? (uint8_t)"\n 0123456789-:.<=[]\"/"[fz_below(21)] : (uint8_t)fz_rand();
    }
    return n;
  }
  /* a window of a seed, starting after a newline when there is one near (text seeds) */
  const fuzz_buf *s = &seeds[fz_below(nseeds)];
  size_t off = 0, n = s->n;
  if (n > maxlen / 2) {
    off = fz_below(n);
    const uint8_t *nl = memchr(s->d + off, '\n', n - off);
    off = nl && (size_t)(nl - s->d) < n - 1 && (size_t)(nl - s->d) - off < 512 ? (size_t)(nl - s->d) + 1 : off;
    n = n - off;
    size_t w = 1 + fz_below(maxlen / 2);
    if (n > w) n = w;
  }
  memcpy(out, s->d + off, n);
  int rounds = 1 + (int)fz_below(6);
  for (int k = 0; k < rounds; k++) {
    size_t p = fz_below(n + 1);
    switch (fz_below(11)) {
      case 0: if (n) out[fz_below(n)] ^= (uint8_t)(1u << fz_below(8)); break;
      case 1: if (n) out[fz_below(n)] = (uint8_t)fz_rand(); break;
      case 2: if (n) out[fz_below(n)] = (uint8_t)"\n\r\0 -:.<=[]\"\\/"[fz_below(14)]; break;
      case 3: { /* interesting integer, either byte order */
        uint32_t v = FZ_INTS[fz_below(sizeof FZ_INTS / sizeof *FZ_INTS)];
        size_t w = (size_t)1 << fz_below(3);
        if (n >= w) { size_t q = fz_below(n - w + 1); for (size_t i = 0; i < w; i++) out[q + i] = (uint8_t)(v >> (8 * (fz_below(2) ? i : w - 1 - i))); }
        break;
      }
      case 4: case 5: { /* insert a token or a newline */
        const char *t = ndict && fz_below(3) ? dict[fz_below(ndict)] : "\n";
        size_t l = strlen(t);
        if (n + l <= maxlen) { memmove(out + p + l, out + p, n - p); memcpy(out + p, t, l); n += l; }
        break;
      }
      case 6: if (n) { size_t l = 1 + fz_below(n - p + 1 > 64 ? 64 : n - p + 1); if (p + l > n) l = n - p; memmove(out + p, out + p + l, n - p - l); n -= l; } break;
      case 7: n = p; break; /* cut: a truncated line or packet */
      case 8: if (n) { /* duplicate a range */
        size_t a = fz_below(n), l = 1 + fz_below(n - a);
        if (n + l <= maxlen) { memmove(out + p + l, out + p, n - p); memmove(out + p, out + (a < p ? a : a + l), l); n += l; }
        break;
      }
      case 9: { /* splice in a piece of another seed */
        const fuzz_buf *t = &seeds[fz_below(nseeds)];
        if (t->n) { size_t a = fz_below(t->n), l = 1 + fz_below(t->n - a > 256 ? 256 : t->n - a); if (n + l <= maxlen) { memmove(out + p + l, out + p, n - p); memcpy(out + p, t->d + a, l); n += l; } }
        break;
      }
      default: if (n) { size_t a = fz_below(n), b = fz_below(n); uint8_t t = out[a]; out[a] = out[b]; out[b] = t; } break;
    }
  }
  return n;
}

static double fz_now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (double)t.tv_sec + t.tv_nsec / 1e9; }

/* Runs fn on `iters` inputs of at most maxlen bytes (env overrides), prints the count. */
static void fuzz_run(const char *name, fuzz_fn fn, long iters, size_t maxlen, const fuzz_buf *seeds, size_t nseeds, const char *const *dict) {
  static int init;
  if (!init) {
    init = 1;
    __sanitizer_set_death_callback(fz_on_death);
    const char *sd = getenv("HOSTOPS_FUZZ_SEED");
    if (sd && *sd) fz_state = strtoull(sd, NULL, 0) | 1;
  }
  const char *it = getenv("HOSTOPS_FUZZ_ITERS");
  if (it && *it) iters = strtol(it, NULL, 10);
  const char *sec = getenv("HOSTOPS_FUZZ_SECONDS");
  double limit = sec && *sec ? strtod(sec, NULL) : 0, t0 = fz_now();
  uint8_t *scratch = malloc(maxlen + 1);
  fz_name = name;
  long done = 0;
  fz_done = 0;
  /* every seed as it is first, then generated inputs */
  for (size_t i = 0; i < nseeds && done < iters; i++, done++) {
    uint8_t *in = malloc(seeds[i].n ? seeds[i].n : 1);
    memcpy(in, seeds[i].d, seeds[i].n);
    fz_cur = in; fz_cur_len = seeds[i].n;
    fn(in, seeds[i].n);
    free(in);
    fz_done = done + 1;
  }
  for (; done < iters; done++) {
    if (limit > 0 && (done & 255) == 0 && fz_now() - t0 > limit) break;
    size_t n = fz_make(scratch, maxlen, seeds, nseeds, dict);
    uint8_t *in = malloc(n ? n : 1); /* exactly n bytes: one byte more is a report */
    memcpy(in, scratch, n);
    fz_cur = in; fz_cur_len = n;
    fn(in, n);
    free(in);
    fz_done = done + 1;
  }
  fz_cur = NULL;
  free(scratch);
  printf("fuzz %s inputs=%ld seeds=%zu\n", name, done, nseeds);
  fflush(stdout);
}

/* `harness --run FILE ENTRY` replays a saved input; otherwise argv[1..] are seed files. */
static int fuzz_replay(int argc, char **argv, const char *name, fuzz_fn fn) {
  if (argc < 4 || strcmp(argv[1], "--run") != 0 || strcmp(argv[3], name) != 0) return 0;
  fuzz_buf b = fuzz_read_file(argv[2]);
  if (!b.d) { fprintf(stderr, "cannot read %s\n", argv[2]); exit(2); }
  fz_name = name; fz_cur = b.d; fz_cur_len = b.n;
  __sanitizer_set_death_callback(fz_on_death);
  fn(b.d, b.n);
  printf("replayed %s: no report\n", name);
  return 1;
}
#endif
