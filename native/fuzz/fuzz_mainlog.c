/* Fuzzes the C mainlog scanner (native/spool/mainlog.c: feed, do_arrival, do_cwd) without N-API.
 * Seeds: mainlog files given as arguments (the test writes real exim lines and generated logs).
 * The first byte of an input chooses the options (since/until, scriptsOnly, samples) and how the
 * input is cut into chunks at line ends; every chunk is its own exact-size heap block, as JS
 * hands the addon one Buffer slice per chunk. */
#define HOSTOPS_FUZZ
#include "../spool/mainlog.c"
#include "fuzz.h"

static void run_feed(const uint8_t *d, size_t n) {
  ml_t *m = calloc(1, sizeof *m);
  if (!m) abort();
  int flags = n ? d[0] : 0;
  m->scriptsOnly = flags & 1;
  m->maxSamples = flags & 2 ? MAXSAMPLES : 3;
  if (flags & 4) { memcpy(m->since, "2026-11-24 10:00:01", 19); m->hasSince = 1; }
  if (flags & 8) { memcpy(m->until, "2026-11-24 11:00:02", 19); m->hasUntil = 1; }
  static char *dirs[] = { "/var/spool/exim4", "/var/spool/exim" };
  static size_t lens[] = { 16, 15 };
  m->spoolDirs = dirs;
  m->spoolLens = lens;
  m->nSpool = 2;
  size_t every = 1 + (size_t)(flags >> 4); /* lines per chunk */
  size_t start = 0, lines = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && !(d[i] == '\n' && ++lines % every == 0)) continue;
    size_t end = i < n ? i + 1 : n;
    if (end > start) {
      char *chunk = malloc(end - start);
      memcpy(chunk, d + start, end - start);
      feed(m, chunk, (long)(end - start));
      free(chunk);
    }
    start = end;
  }
  for (int i = 0; i < NTABLES; i++) { free(m->t[i].rows); free(m->t[i].slots); }
  free(m->arena);
  free(m);
}

static const char *const DICT[] = {
  "2026-11-24 10:00:00 ", "2026-11-24 10:00:00.123 ", "+0100 ", "[1234] ", "1xVwEz-0001TA-2H ",
  "1xVwEz-0001TA-2HxyzAB ", "<= ", " <= ", "=> ", "cwd=", "cwd=/home/a/public_html 3 args: ",
  " args: ", "/usr/sbin/sendmail -t -i", " -bp", " -M", " T=\"", "\" for ", " for ", " A=dovecot_login:",
  " H=", "[192.0.2.1]", " U=", " P=local", " P=esmtpa", " S=123", "\\\"", "...", "\n", NULL,
};

int main(int argc, char **argv) {
  if (fuzz_replay(argc, argv, "mainlog.feed", run_feed)) return 0;
  fuzz_buf seeds[64];
  size_t ns = 0;
  for (int i = 1; i < argc && ns < 64; i++) {
    fuzz_buf b = fuzz_read_file(argv[i]);
    if (b.d) seeds[ns++] = b;
  }
  fuzz_run("mainlog.feed", run_feed, 80000, 4096, seeds, ns, DICT);
  for (size_t i = 0; i < ns; i++) free(seeds[i].d);
  return 0;
}
