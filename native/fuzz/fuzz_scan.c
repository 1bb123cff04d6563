/* Fuzzes the test responder's request matching (handle() in native/scan/responder.c: rule
 * match at an offset, echo of request bytes into replies, reply queueing) without N-API. The
 * first 24 bytes of an input are one rule (port, address range, match offset and length, echo
 * length, reply count and sizes), then the match bytes, then the request. Replies go to fd -1
 * (sendmmsg fails with EBADF: nothing leaves the process). Seeds: amplification probes as the
 * scanner sends them (NTP monlist, DNS ANY, SSDP M-SEARCH, memcached stats). */
#define HOSTOPS_FUZZ
#include "../scan/responder.c"
#include "fuzz.h"

static responder_t *R;

static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void fz_handle(const uint8_t *d, size_t n) {
  if (n < 24) return;
  rule_t u;
  memset(&u, 0, sizeof u);
  u.port = 123;
  u.lo = u32(d);
  u.hi = u32(d + 4);
  u.match_off = u32(d + 8);
  u.match_len = d[12] % 33;
  u.echo = u32(d + 13);
  u.nreplies = d[17] % 4;
  u.from_port = d[18] & 1 ? 123 : 0;
  u.from_addr = d[18] & 2 ? 0xc6120001 : 0;
  uint8_t *rp[4];
  uint32_t rl[4];
  for (uint32_t k = 0; k < u.nreplies; k++) {
    rl[k] = (uint32_t)(d[19 + k] * 7) % (R_MAXLEN + 1); /* the responder caps replies at R_MAXLEN */
    rp[k] = calloc(1, rl[k] ? rl[k] : 1);
  }
  u.reply = rp;
  u.rlen = rl;
  d += 24; n -= 24;
  uint32_t ml = u.match_len <= n ? u.match_len : (uint32_t)n;
  u.match = ml ? malloc(ml) : NULL;
  if (ml) memcpy(u.match, d, ml);
  u.match_len = ml;
  d += ml; n -= ml;
  uint8_t *req = malloc(n ? n : 1); /* exactly the datagram's bytes */
  memcpy(req, d, n);
  R->rules = &u;
  R->nrules = 1;
  struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(40000), .sin_addr.s_addr = htonl(0xc6120002) };
  for (int i = 0; i < 3; i++) handle(R, -1, 123, req, (uint32_t)n, &src, htonl(0xc6120000 + (uint32_t)i));
  if (R->out_n) flush(R);
  R->rules = NULL;
  R->nrules = 0;
  free(req);
  free(u.match);
  for (uint32_t k = 0; k < u.nreplies; k++) free(rp[k]);
}

static fuzz_buf req_seed(uint32_t match_off, uint8_t match_len, uint32_t echo, const char *req, size_t rl) {
  fuzz_buf b;
  b.n = 24 + match_len + rl;
  b.d = calloc(1, b.n);
  b.d[4] = b.d[5] = b.d[6] = b.d[7] = 0xff; /* hi: every address */
  for (int i = 0; i < 4; i++) { b.d[8 + i] = (uint8_t)(match_off >> (24 - 8 * i)); b.d[13 + i] = (uint8_t)(echo >> (24 - 8 * i)); }
  b.d[12] = match_len;
  b.d[17] = 2;
  b.d[19] = 60; b.d[20] = 200;
  memcpy(b.d + 24, req + match_off, match_len);
  memcpy(b.d + 24 + match_len, req, rl);
  return b;
}

int main(int argc, char **argv) {
  R = calloc(1, sizeof *R);
  R->epfd = -1;
  if (fuzz_replay(argc, argv, "scan.responder_handle", fz_handle)) return 0;
  static const char ntp[8] = { 0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0 };
  static const char dns[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\xff\x00\x01\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00";
  static const char ssdp[] = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
  static const char mc[] = "\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n";
  fuzz_buf seeds[8];
  size_t ns = 0;
  seeds[ns++] = req_seed(0, 4, 0, ntp, sizeof ntp);
  seeds[ns++] = req_seed(2, 2, 2, dns, sizeof dns - 1);
  seeds[ns++] = req_seed(0, 8, 0, ssdp, sizeof ssdp - 1);
  seeds[ns++] = req_seed(8, 5, 8, mc, sizeof mc - 1);
  seeds[ns++] = req_seed(0, 0, 64, ntp, sizeof ntp);
  static const char *const DICT[] = { "\xff\xff\xff\xf0", "\xff\xff\xff\xff", "\x00\x00\x00\x00", "\x7f\xff\xff\xff", NULL };
  fuzz_run("scan.responder_handle", fz_handle, 100000, 1600, seeds, ns, DICT);
  for (size_t i = 0; i < ns; i++) free(seeds[i].d);
  free(R);
  return 0;
}
