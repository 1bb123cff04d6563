/* Fuzzes the iperf3 UDP receive path (native/sock/udp_rx.c) without N-API: account() on header
 * bytes and lengths straight from the input, and drain() reading fuzzed datagrams through a real
 * AF_UNIX datagram socketpair with recvmmsg/MSG_TRUNC as in the addon. Input: byte 0 = flags
 * (udp64), then records of [length: 2 bytes][header: 16 bytes]. Seeds: iperf3 headers (sec,
 * usec, 32- and 64-bit sequence numbers) of an in-order, a reordered and a wrapping stream. */
#define HOSTOPS_FUZZ
#include "../sock/udp_rx.c"
#include "fuzz.h"

static udprx *new_rx(int udp64) {
  udprx *r = calloc(1, sizeof *r);
  r->udp64 = udp64;
  r->counting = 1;
  r->fd = -1;
  r->rt_minus_mono_ns = ns_of(CLOCK_REALTIME) - ns_of(CLOCK_MONOTONIC);
  udprx_init_batch(r);
  return r;
}

static void fz_account(const uint8_t *d, size_t n) {
  if (n < 1) return;
  udprx *r = new_rx(d[0] & 1);
  int64_t now = ns_of(CLOCK_MONOTONIC);
  for (size_t i = 1; i + 18 <= n; i += 18) {
    unsigned len = (unsigned)(d[i] << 8 | d[i + 1]) * (d[0] & 2 ? 1 : 37); /* up to 65535 * 37: MSG_TRUNC lengths */
    uint8_t *h = malloc(HDR);
    memcpy(h, d + i + 2, HDR);
    account(r, h, len, now + (int64_t)(d[i + 2] ^ d[i + 9]) * 1000000);
    free(h);
  }
  free(r);
}

static void fz_drain(const uint8_t *d, size_t n) {
  if (n < 1) return;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) abort();
  udprx *r = new_rx(d[0] & 1);
  r->fd = sv[0];
  for (size_t i = 1; i + 2 <= n;) {
    size_t len = (size_t)(d[i] << 8 | d[i + 1]) % 2048;
    i += 2;
    size_t have = n - i < len ? n - i : len;
    uint8_t dg[2048];
    memset(dg, 0xa5, sizeof dg);
    memcpy(dg, d + i, have);
    if (send(sv[1], dg, len, 0) < 0) break;
    i += have;
  }
  drain(r);
  close(sv[0]);
  close(sv[1]);
  free(r);
}

static fuzz_buf stream_seed(int udp64, const uint64_t *seqs, size_t k, unsigned len) {
  fuzz_buf b;
  b.n = 1 + 18 * k;
  b.d = calloc(1, b.n);
  b.d[0] = (uint8_t)(udp64 | 2);
  for (size_t j = 0; j < k; j++) {
    uint8_t *p = b.d + 1 + 18 * j;
    p[0] = (uint8_t)(len >> 8); p[1] = (uint8_t)len;
    uint32_t sec = 1764900000u + (uint32_t)j, usec = (uint32_t)(j * 1000 % 1000000);
    for (int i = 0; i < 4; i++) { p[2 + i] = (uint8_t)(sec >> (24 - 8 * i)); p[6 + i] = (uint8_t)(usec >> (24 - 8 * i)); }
    uint64_t s = seqs[j];
    if (udp64) for (int i = 0; i < 8; i++) p[10 + i] = (uint8_t)(s >> (56 - 8 * i));
    else for (int i = 0; i < 4; i++) p[10 + i] = (uint8_t)(s >> (24 - 8 * i));
  }
  return b;
}

int main(int argc, char **argv) {
  if (fuzz_replay(argc, argv, "sock.udp_account", fz_account)) return 0;
  if (fuzz_replay(argc, argv, "sock.udp_drain", fz_drain)) return 0;
  static const uint64_t inorder[] = { 1, 2, 3, 4, 5, 6 }, reorder[] = { 1, 3, 2, 6, 5, 4 },
                        wrap[] = { 0xfffffffffffffffeULL, 0xffffffffffffffffULL, 0, 1, 0x8000000000000000ULL, 2 };
  fuzz_buf seeds[6];
  size_t ns = 0;
  seeds[ns++] = stream_seed(0, inorder, 6, 1460);
  seeds[ns++] = stream_seed(0, reorder, 6, 8);
  seeds[ns++] = stream_seed(1, wrap, 6, 1460);
  seeds[ns++] = stream_seed(1, reorder, 6, 16);
  fuzz_run("sock.udp_account", fz_account, 50000, 1000, seeds, ns, NULL);
  fuzz_run("sock.udp_drain", fz_drain, 5000, 3000, seeds, ns, NULL);
  for (size_t i = 0; i < ns; i++) free(seeds[i].d);
  return 0;
}
