/* Fuzzes the probe reply parsers (native/probe/parse.c) and the error-queue decoder
 * (decode_errqueue in native/probe/sock.c) without N-API. Seeds are packets as the kernel hands
 * them to the probe sockets: built here the way ping/traceroute replies look on the wire (an echo
 * reply carrying our cookie, time-exceeded and port-unreachable errors quoting UDP, ICMP and TCP
 * probes, a SYN-ACK, ICMPv6 equivalents), plus any files given as arguments. */
#define _GNU_SOURCE
#include "../probe/sock.c"
#include "fuzz.h"

static const uint8_t COOKIE[8] = { 'h', 'o', 's', 't', 'o', 'p', 's', '1' };

static probe_sock sock_of(int kind, int family) {
  probe_sock s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  s.family = family;
  memcpy(s.cookie, COOKIE, 8);
  s.tx_ts = 1;
  s.tx_count = 7;
  return s;
}

static void fz_icmp4(const uint8_t *d, size_t n) { probe_sock s = sock_of(PK_ICMP_RAW, 4); probe_event ev; init_event(&ev); parse_icmp4_raw(&s, d, n, &ev); }
static void fz_icmp6(const uint8_t *d, size_t n) { probe_sock s = sock_of(PK_ICMP_RAW, 6); probe_event ev; init_event(&ev); parse_icmp6_raw(&s, d, n, &ev); }
static void fz_tcp4(const uint8_t *d, size_t n) { probe_sock s = sock_of(PK_TCP_RAW, 4); probe_event ev; init_event(&ev); parse_tcp_reply(&s, d, n, &ev); }
static void fz_tcp6(const uint8_t *d, size_t n) { probe_sock s = sock_of(PK_TCP_RAW, 6); probe_event ev; init_event(&ev); parse_tcp_reply(&s, d, n, &ev); }
/* the extension walker on its own (v6 by the length's parity, so both length units are reached) */
static void fz_ext(const uint8_t *d, size_t n) {
  probe_event ev; init_event(&ev); parse_icmp_ext(d, n, (int)(n & 1), &ev);
  if (ev.mpls_n < 0 || ev.mpls_n > MPLS_MAX) abort();
}
static void fz_dgram(const uint8_t *d, size_t n) { probe_sock s = sock_of(PK_ICMP_DGRAM, 4); probe_event ev; init_event(&ev); parse_icmp_dgram(&s, d, n, &ev); }

/* Error queue: byte 0 picks the socket kind, bytes 1-2 how much of the rest is control data
 * (cmsg headers and all, as recvmsg would fill msg_control), byte 3 the msg_namelen; the rest is
 * the quoted payload. */
static void fz_errq(const uint8_t *d, size_t n) {
  if (n < 4) return;
  probe_sock s = sock_of(d[0] & 1 ? PK_UDP : PK_ICMP_DGRAM, d[0] & 2 ? 6 : 4);
  size_t cl = (size_t)(d[1] | d[2] << 8) % 512, nl = d[3];
  d += 4; n -= 4;
  if (cl > n) cl = n;
  uint8_t *ctl = malloc(cl ? cl : 1); /* exactly cl bytes (malloc aligns it for cmsghdr) */
  memcpy(ctl, d, cl);
  struct sockaddr_storage name;
  memset(&name, 0, sizeof name);
  memcpy(&name, d, n < sizeof name ? n : sizeof name);
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_control = cl ? ctl : NULL;
  m.msg_controllen = cl;
  m.msg_name = &name;
  m.msg_namelen = (socklen_t)(nl <= sizeof name ? nl : sizeof name);
  size_t pl = n - cl;
  uint8_t *data = malloc(pl ? pl : 1);
  memcpy(data, d + cl, pl);
  probe_event ev;
  init_event(&ev);
  decode_errqueue(&s, &m, data, pl, &ev);
  free(data);
  free(ctl);
}

/* ---- seeds ---- */

static fuzz_buf seed(const uint8_t *p, size_t n) { fuzz_buf b = { malloc(n), n }; memcpy(b.d, p, n); return b; }

static size_t ip4(uint8_t *p, int proto, size_t payload) {
  memset(p, 0, 20);
  p[0] = 0x45; p[2] = (uint8_t)((20 + payload) >> 8); p[3] = (uint8_t)(20 + payload); p[8] = 61; p[9] = (uint8_t)proto;
  memcpy(p + 12, "\xc6\x12\x00\x01", 4); memcpy(p + 16, "\xc6\x12\x00\x02", 4);
  return 20;
}
static size_t ip6(uint8_t *p, int proto, size_t payload) {
  memset(p, 0, 40);
  p[0] = 0x60; p[4] = (uint8_t)(payload >> 8); p[5] = (uint8_t)payload; p[6] = (uint8_t)proto; p[7] = 61;
  p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 1; p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 2;
  return 40;
}
static size_t echo(uint8_t *p, int type, uint16_t id, uint16_t seq, size_t data) {
  p[0] = (uint8_t)type; p[1] = 0; p[2] = p[3] = 0; p[4] = id >> 8; p[5] = (uint8_t)id; p[6] = seq >> 8; p[7] = (uint8_t)seq;
  for (size_t i = 0; i < data; i++) p[8 + i] = (uint8_t)(0x10 + i);
  memcpy(p + 8, COOKIE, data < 8 ? data : 8);
  return 8 + data;
}
static size_t udp_probe(uint8_t *p, size_t data) {
  p[0] = 0x9c; p[1] = 0x40; p[2] = 0x82; p[3] = 0x9b; p[4] = 0; p[5] = (uint8_t)(8 + data); p[6] = p[7] = 0;
  for (size_t i = 0; i < data; i++) p[8 + i] = (uint8_t)(0x10 + i);
  memcpy(p + 8, COOKIE, 8);
  p[16] = 0; p[17] = 0; p[18] = 1; p[19] = 2;
  return 8 + data;
}

static size_t build_seeds(fuzz_buf *v4, size_t *n4, fuzz_buf *v6, size_t *n6, fuzz_buf *t4, size_t *nt) {
  uint8_t p[256];
  size_t n;
  /* IPv4 echo reply (checksum left 0: the parser flags it corrupted, which is a path too) */
  n = ip4(p, 1, 64); n += echo(p + n, 0, 0x1234, 7, 56); v4[(*n4)++] = seed(p, n);
  /* time exceeded quoting a UDP probe, one quoting an echo request */
  n = ip4(p, 1, 8 + 20 + 20); p[20] = 11; p[21] = 0; memset(p + 22, 0, 6); n = 28;
  n += ip4(p + n, 17, 20); n += udp_probe(p + n, 12); v4[(*n4)++] = seed(p, n);
  n = ip4(p, 1, 8 + 20 + 16); p[20] = 3; p[21] = 3; memset(p + 22, 0, 6); n = 28;
  n += ip4(p + n, 1, 16); n += echo(p + n, 8, 0x1234, 9, 8); v4[(*n4)++] = seed(p, n);
  n = ip4(p, 1, 8 + 20 + 8); p[20] = 11; memset(p + 21, 0, 7); n = 28;
  n += ip4(p + n, 6, 8); memcpy(p + n, "\x9c\x40\x00\x50\x01\x02\x03\x04", 8); n += 8; v4[(*n4)++] = seed(p, n);
  /* time exceeded with an RFC 4884 extension: 128 bytes of original datagram (length 32 words,
   * and 0 as older routers send it), then version 2 and an MPLS stack object of two entries */
  for (int compat = 0; compat < 2; compat++) {
    memset(p, 0, sizeof p);
    n = ip4(p, 1, 8 + 128 + 4 + 12); p[20] = 11; p[25] = compat ? 0 : 32; n = 28;
    ip4(p + n, 1, 16); echo(p + n + 20, 8, 0x1234, 11, 8); n += 128;
    memcpy(p + n, "\x20\x00\x00\x00\x00\x0c\x01\x01\x00\x06\x40\x01\x00\x0c\x8b\x02", 16); n += 16;
    v4[(*n4)++] = seed(p, n);
  }
  memset(p, 0, sizeof p);
  p[0] = 3; p[4] = 16; n = 8; ip6(p + n, 58, 16); echo(p + n + 40, 128, 0x1234, 3, 8); n += 128;
  memcpy(p + n, "\x20\x00\x00\x00\x00\x08\x01\x01\x00\x06\x41\x40", 12); n += 12;
  v6[(*n6)++] = seed(p, n);
  /* SYN-ACK (IPv4 with header, IPv6 without) */
  n = ip4(p, 6, 20); memset(p + n, 0, 20); p[n] = 0; p[n + 1] = 80; p[n + 2] = 0x9c; p[n + 3] = 0x40; p[n + 8] = 1; p[n + 12] = 0x50; p[n + 13] = 0x12; n += 20;
  t4[(*nt)++] = seed(p, n);
  t4[(*nt)++] = seed(p + 20, 20);
  /* ICMPv6: echo reply, time exceeded quoting UDP, port unreachable quoting an echo request */
  n = echo(p, 129, 0x1234, 7, 56); v6[(*n6)++] = seed(p, n);
  p[0] = 3; p[1] = 0; memset(p + 2, 0, 6); n = 8; n += ip6(p + n, 17, 20); n += udp_probe(p + n, 12); v6[(*n6)++] = seed(p, n);
  p[0] = 1; p[1] = 4; memset(p + 2, 0, 6); n = 8; n += ip6(p + n, 58, 16); n += echo(p + n, 128, 0x1234, 3, 8); v6[(*n6)++] = seed(p, n);
  return 0;
}

/* Error-queue seeds: the control data a UDP socket with IP_RECVERR gets for port unreachable. */
static fuzz_buf errq_seed(int udp, int v6) {
  uint8_t b[600];
  memset(b, 0, sizeof b);
  b[0] = (uint8_t)((udp ? 1 : 0) | (v6 ? 2 : 0));
  union { struct cmsghdr align; uint8_t c[256]; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_control = ctl.c;
  m.msg_controllen = sizeof ctl.c;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  size_t al = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  c->cmsg_type = v6 ? IPV6_RECVERR : IP_RECVERR;
  c->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err) + al);
  struct sock_extended_err ee = { .ee_errno = 111, .ee_origin = v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP, .ee_type = 3, .ee_code = 3 };
  memcpy(CMSG_DATA(c), &ee, sizeof ee);
  struct sockaddr_storage off;
  memset(&off, 0, sizeof off);
  off.ss_family = v6 ? AF_INET6 : AF_INET;
  memcpy(CMSG_DATA(c) + sizeof ee, &off, al);
  struct cmsghdr *c2 = CMSG_NXTHDR(&m, c);
  c2->cmsg_level = SOL_SOCKET;
  c2->cmsg_type = SCM_TIMESTAMPNS;
  c2->cmsg_len = CMSG_LEN(sizeof(struct timespec));
  size_t cl = (size_t)((uint8_t *)c2 - ctl.c) + CMSG_SPACE(sizeof(struct timespec));
  b[1] = (uint8_t)cl; b[2] = (uint8_t)(cl >> 8); b[3] = (uint8_t)al;
  memcpy(b + 4, ctl.c, cl);
  size_t n = 4 + cl;
  if (udp) n += udp_probe(b + n, 12) - 8; /* the payload of our probe */
  else n += echo(b + n, v6 ? 128 : 8, 0x1234, 5, 16);
  return seed(b, n);
}

/* A UDP error-queue seed whose data carries an RFC 4884 extension with an MPLS object where the
 * kernel leaves it: 100 bytes into the quoted UDP payload (128 - IPv4 header - UDP header). */
static fuzz_buf errq_ext_seed(const fuzz_buf *udp) {
  size_t head = 4 + (size_t)(udp->d[1] | udp->d[2] << 8);
  static const uint8_t EXT[] = { 0x20, 0, 0, 0, 0, 12, 1, 1, 0, 0x06, 0x40, 0x01, 0, 0x0c, 0x8b, 0x02 };
  fuzz_buf b = { calloc(1, head + 100 + sizeof EXT), head + 100 + sizeof EXT };
  memcpy(b.d, udp->d, udp->n < head + 100 ? udp->n : head + 100);
  memcpy(b.d + head + 100, EXT, sizeof EXT);
  return b;
}

int main(int argc, char **argv) {
  struct { const char *name; fuzz_fn fn; } E[] = {
    { "probe.icmp4_raw", fz_icmp4 }, { "probe.icmp6_raw", fz_icmp6 }, { "probe.tcp_reply4", fz_tcp4 },
    { "probe.tcp_reply6", fz_tcp6 }, { "probe.icmp_dgram", fz_dgram }, { "probe.errqueue", fz_errq },
    { "probe.icmp_ext", fz_ext },
  };
  for (size_t i = 0; i < sizeof E / sizeof *E; i++) if (fuzz_replay(argc, argv, E[i].name, E[i].fn)) return 0;
  long iters = 50000;
  fuzz_buf v4[16], v6[16], t4[8], dg[8], eq[8];
  size_t n4 = 0, n6 = 0, nt = 0, nd = 0, ne = 0;
  build_seeds(v4, &n4, v6, &n6, t4, &nt);
  for (size_t i = 0; i < n4 && nd < 8; i++) dg[nd++] = seed(v4[i].d + 20, v4[i].n - 20); /* ping sockets get no IP header */
  for (int u = 0; u < 2; u++) for (int v = 0; v < 2; v++) eq[ne++] = errq_seed(u, v);
  eq[ne] = errq_ext_seed(&eq[2]); ne++; /* eq[2]: UDP, IPv4 */
  static const char *const DICT[] = { "hostops1", "\x45\x00", "\x60\x00\x00\x00", "\x0b\x00", "\x03\x03", "\x81\x00", NULL };
  fuzz_run("probe.icmp4_raw", fz_icmp4, iters, 600, v4, n4, DICT);
  fuzz_run("probe.icmp6_raw", fz_icmp6, iters, 600, v6, n6, DICT);
  fuzz_run("probe.tcp_reply4", fz_tcp4, iters, 200, t4, nt, DICT);
  fuzz_run("probe.tcp_reply6", fz_tcp6, iters, 200, t4, nt, DICT);
  fuzz_run("probe.icmp_dgram", fz_dgram, iters, 600, dg, nd, DICT);
  fuzz_run("probe.errqueue", fz_errq, iters, 700, eq, ne, DICT);
  fuzz_buf ex[24];
  size_t nx = 0;
  for (size_t i = 0; i < n4; i++) ex[nx++] = seed(v4[i].d + 20, v4[i].n - 20); /* the ICMP message itself */
  for (size_t i = 0; i < n6 && nx < 24; i++) ex[nx++] = seed(v6[i].d, v6[i].n);
  fuzz_run("probe.icmp_ext", fz_ext, iters, 600, ex, nx, DICT);
  for (size_t i = 0; i < nx; i++) free(ex[i].d);
  fuzz_buf *all[] = { v4, v6, t4, dg, eq };
  size_t cnt[] = { n4, n6, nt, nd, ne };
  for (int k = 0; k < 5; k++) for (size_t i = 0; i < cnt[k]; i++) free(all[k][i].d);
  return 0;
}
