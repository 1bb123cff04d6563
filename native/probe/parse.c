/* Packet parsing for raw sockets: echo replies, ICMP errors with the quoted probe header, TCP
 * replies. Every read is bounds-checked against what was received (hostile or truncated input). */
#include "probe.h"

#include <string.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>

uint16_t inet_cksum(const void *data, size_t len, uint32_t sum) {
  const uint8_t *p = data;
  while (len > 1) { sum += (uint32_t)(p[0] << 8 | p[1]); p += 2; len -= 2; }
  if (len) sum += (uint32_t)(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t r = (uint16_t)~sum;
  return (uint16_t)(r >> 8 | r << 8); /* stored as-is into network order bytes */
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static void set4(struct sockaddr_storage *ss, const uint8_t *a) {
  struct sockaddr_in *s = (struct sockaddr_in *)ss;
  memset(ss, 0, sizeof *ss);
  s->sin_family = AF_INET;
  memcpy(&s->sin_addr, a, 4);
}

static void set6(struct sockaddr_storage *ss, const uint8_t *a) {
  struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof *ss);
  s->sin6_family = AF_INET6;
  memcpy(&s->sin6_addr, a, 16);
}

/* The quoted transport header of our probe (at least the first 8 bytes, RFC 792). */
static void parse_inner_l4(probe_sock *s, int proto, const uint8_t *l4, size_t n, probe_event *ev) {
  ev->inner_proto = proto;
  if (n < 8) return;
  if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
    int req = proto == IPPROTO_ICMP ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    if (l4[0] != req) { ev->inner_proto = 0; return; }
    ev->id = be16(l4 + 4);
    ev->key = be16(l4 + 6);
    ev->cookie_ok = n >= 16 && memcmp(l4 + 8, s->cookie, 8) == 0;
  } else if (proto == IPPROTO_UDP) {
    ev->inner_sport = be16(l4);
    ev->inner_dport = be16(l4 + 2);
    if (n >= 20 && memcmp(l4 + 8, s->cookie, 8) == 0) { ev->cookie_ok = 1; ev->key = be32(l4 + 16); }
  } else if (proto == IPPROTO_TCP) {
    ev->inner_sport = be16(l4);
    ev->inner_dport = be16(l4 + 2);
    ev->key = be32(l4 + 4);
  }
}

void parse_icmp4_raw(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev) {
  if (n < 20) return;
  size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
  if (ihl < 20 || n < ihl + 8) return;
  /* the IP total length bounds the packet (a padded frame must not extend it) */
  size_t tot = be16(buf + 2);
  if (tot >= ihl + 8 && tot < n) n = tot;
  ev->ttl = buf[8];
  const uint8_t *icmp = buf + ihl;
  size_t ilen = n - ihl;
  ev->type = icmp[0];
  ev->code = icmp[1];
  if (icmp[0] == ICMP_ECHOREPLY) {
    ev->kind = EV_ECHO;
    ev->id = be16(icmp + 4);
    ev->key = be16(icmp + 6);
    ev->len = (int)ilen;
    ev->cookie_ok = ilen >= 16 && memcmp(icmp + 8, s->cookie, 8) == 0;
    if (inet_cksum(icmp, ilen, 0) != 0) { ev->err_no = -1; ev->cookie_ok = 0; } /* corrupted */
    return;
  }
  if (icmp[0] != ICMP_DEST_UNREACH && icmp[0] != ICMP_TIME_EXCEEDED && icmp[0] != ICMP_PARAMETERPROB &&
      icmp[0] != ICMP_SOURCE_QUENCH) return;
  ev->kind = EV_ERROR;
  const uint8_t *in = icmp + 8;
  size_t inlen = ilen - 8;
  if (inlen < 20) { ev->inner_proto = -1; return; }
  size_t ihl2 = (size_t)(in[0] & 0x0f) * 4;
  if (ihl2 < 20 || inlen < ihl2) { ev->inner_proto = -1; return; }
  set4(&ev->inner_dst, in + 16);
  parse_inner_l4(s, in[9], in + ihl2, inlen - ihl2, ev);
  if (icmp[0] != ICMP_SOURCE_QUENCH) parse_icmp_ext(icmp, ilen, 0, ev);
}

/*
 * The extension structure (RFC 4884 section 7) follows the original datagram: at the length the
 * message gives (ICMPv4 byte 5 in 32-bit words, ICMPv6 byte 4 in 64-bit words), or at 128 bytes
 * when that is 0 (section 5: the routers that predate RFC 4884 put it there, and mtr looks only
 * there). Version 2; the objects are walked by their length; the MPLS label stack object is
 * class 1, C-type 1 (RFC 4950), 4 bytes per entry. A malformed structure yields no labels.
 */
void parse_icmp_ext(const uint8_t *icmp, size_t n, int v6, probe_event *ev) {
  ev->mpls_n = 0;
  if (n < 8) return;
  size_t words = v6 ? icmp[4] : icmp[5];
  size_t orig = words ? words * (v6 ? 8 : 4) : 128;
  if (orig < 128) return; /* a length field under 128 bytes is not an extension (RFC 4884 5.1) */
  if (8 + orig < n) parse_ext_struct(icmp + 8 + orig, n - 8 - orig, ev);
}

/* The extension structure itself (n bytes from its version byte): header, then objects. */
void parse_ext_struct(const uint8_t *x, size_t n, probe_event *ev) {
  ev->mpls_n = 0;
  if (n < 4 || (x[0] & 0xf0) != 0x20) return;
  size_t off = 4;
  while (off + 4 <= n) {
    size_t olen = be16(x + off);
    if (olen < 4 || olen > n - off) return;
    if (x[off + 2] == 1 && x[off + 3] == 1) {
      for (size_t e = off + 4; e + 4 <= off + olen && ev->mpls_n < MPLS_MAX; e += 4) ev->mpls[ev->mpls_n++] = be32(x + e);
      return;
    }
    off += olen;
  }
}

void parse_icmp6_raw(probe_sock *s, const uint8_t *icmp, size_t n, probe_event *ev) {
  if (n < 8) return;
  ev->type = icmp[0];
  ev->code = icmp[1];
  if (icmp[0] == ICMP6_ECHO_REPLY) {
    ev->kind = EV_ECHO;
    ev->id = be16(icmp + 4);
    ev->key = be16(icmp + 6);
    ev->len = (int)n;
    ev->cookie_ok = n >= 16 && memcmp(icmp + 8, s->cookie, 8) == 0;
    return;
  }
  if (icmp[0] != ICMP6_DST_UNREACH && icmp[0] != ICMP6_TIME_EXCEEDED && icmp[0] != ICMP6_PACKET_TOO_BIG &&
      icmp[0] != ICMP6_PARAM_PROB) return;
  ev->kind = EV_ERROR;
  const uint8_t *in = icmp + 8;
  size_t inlen = n - 8;
  if (inlen < 40) { ev->inner_proto = -1; return; }
  set6(&ev->inner_dst, in + 24);
  parse_inner_l4(s, in[6], in + 40, inlen - 40, ev);
  if (icmp[0] == ICMP6_DST_UNREACH || icmp[0] == ICMP6_TIME_EXCEEDED) parse_icmp_ext(icmp, n, 1, ev);
}

void parse_tcp_reply(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev) {
  const uint8_t *tcp = buf;
  if (s->family == 4) {
    if (n < 20) return;
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if (ihl < 20 || n < ihl + 20) return;
    ev->ttl = buf[8];
    tcp = buf + ihl;
    n -= ihl;
  }
  if (n < 20) return;
  int flags = tcp[13];
  /* only SYN-ACK or RST answer a SYN probe */
  if (!((flags & 0x12) == 0x12 || (flags & 0x04))) return;
  ev->kind = EV_TCP;
  ev->sport = be16(tcp);
  ev->dport = be16(tcp + 2);
  ev->tcp_flags = flags;
  ev->key = (double)(uint32_t)(be32(tcp + 8) - 1);
}

/* A ping socket's reply: the ICMP message without the IP header (the kernel checked it). */
void parse_icmp_dgram(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev) {
  if (n < 8 || (buf[0] != ICMP_ECHOREPLY && buf[0] != ICMP6_ECHO_REPLY)) return;
  ev->kind = EV_ECHO;
  ev->type = buf[0];
  ev->code = buf[1];
  ev->id = be16(buf + 4);
  ev->key = be16(buf + 6);
  ev->len = (int)n;
  ev->cookie_ok = n >= 16 && memcmp(buf + 8, s->cookie, 8) == 0;
}
