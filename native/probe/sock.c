/* Socket layer of hostops_probe: open ICMP/UDP/TCP probe sockets, send probes, drain replies and
 * the error queue. Everything is non-blocking; the N-API glue drives probe_drain from uv_poll. */
#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/net_tstamp.h>

int64_t probe_clock_base;

double probe_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)(ts.tv_sec - probe_clock_base) * 1e9 + (double)ts.tv_nsec;
}

static double ts_ns(const struct timespec *ts) {
  return (double)(ts->tv_sec - probe_clock_base) * 1e9 + (double)ts->tv_nsec;
}

int parse_addr(const char *str, int family, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, str, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, str, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

static int on(int fd, int level, int opt) {
  int one = 1;
  return setsockopt(fd, level, opt, &one, sizeof one);
}

/* Source address, interface and fwmark before anything is sent: a feed is chosen by the route
 * lookup (ip rule from / oif / fwmark), which reads these from the socket. Errors name the value. */
static int apply_bind(probe_sock *s, const probe_bind *b, char *err, size_t errlen) {
  if (!b) return 0;
  int fd = s->fd;
  if (b->has_mark) {
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &b->mark, sizeof b->mark) < 0) {
      int e = errno;
      snprintf(err, errlen, "setsockopt SO_MARK %u: %s", b->mark, strerror(e));
      return -e;
    }
    s->has_mark = 1;
    s->mark = b->mark;
  }
  if (b->device && b->device[0]) {
    size_t n = strlen(b->device);
    if (n >= sizeof s->device) {
      snprintf(err, errlen, "SO_BINDTODEVICE %.40s: interface name too long", b->device);
      return -ENODEV;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, b->device, (socklen_t)n + 1) < 0) {
      int e = errno;
      snprintf(err, errlen, "SO_BINDTODEVICE %s: %s", b->device, strerror(e));
      return -e;
    }
    memcpy(s->device, b->device, n + 1);
  }
  if (b->source && b->source[0]) {
    socklen_t len;
    if (parse_addr(b->source, s->family, 0, &s->src, &len) < 0) {
      snprintf(err, errlen, "bind %.60s: not an IPv%d address", b->source, s->family);
      return -EINVAL;
    }
    s->has_src = 1;
  }
  return 0;
}

int probe_open(probe_sock *s, int kind, int family, const uint8_t cookie[8], const probe_bind *b, char *err, size_t errlen) {
  int af = family == 6 ? AF_INET6 : AF_INET;
  int type, proto;
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->kind = kind;
  s->family = family;
  s->cur_ttl = -1;
  s->cur_tos = -1;
  memcpy(s->cookie, cookie, 8);
  switch (kind) {
    case PK_ICMP_RAW: type = SOCK_RAW; proto = family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP; break;
    case PK_ICMP_DGRAM: type = SOCK_DGRAM; proto = family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP; break;
    case PK_UDP: type = SOCK_DGRAM; proto = IPPROTO_UDP; break;
    case PK_TCP_RAW: type = SOCK_RAW; proto = IPPROTO_TCP; break;
    default: snprintf(err, errlen, "unknown probe socket kind %d", kind); errno = EINVAL; return -EINVAL;
  }
  int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "socket(%s, %s, %s): %s", family == 6 ? "AF_INET6" : "AF_INET",
             type == SOCK_RAW ? "SOCK_RAW" : "SOCK_DGRAM",
             proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "icmp", strerror(e));
    return -e;
  }
  s->fd = fd;
  int br = apply_bind(s, b, err, errlen);
  if (br < 0) {
    close(fd);
    s->fd = -1;
    return br;
  }
  /* raw sockets: bind() only fixes the source address, which the route lookup then matches */
  if (s->has_src && kind != PK_ICMP_DGRAM && kind != PK_UDP) {
    socklen_t alen = family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&s->src, alen) < 0) {
      int e = errno;
      char a[INET6_ADDRSTRLEN] = "";
      inet_ntop(af, family == 6 ? (void *)&((struct sockaddr_in6 *)&s->src)->sin6_addr : (void *)&((struct sockaddr_in *)&s->src)->sin_addr, a, sizeof a);
      snprintf(err, errlen, "bind %s: %s", a, strerror(e));
      close(fd);
      s->fd = -1;
      return -e;
    }
  }
  on(fd, SOL_SOCKET, SO_TIMESTAMPNS);
  int rcvbuf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (family == 6) on(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
  else on(fd, IPPROTO_IP, IP_RECVTTL);

  if (kind == PK_ICMP_RAW && family == 4) {
    /* only echo replies and the errors that quote a probe reach us */
    struct icmp_filter f;
    f.data = ~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH) | (1U << ICMP_TIME_EXCEEDED) |
               (1U << ICMP_PARAMETERPROB) | (1U << ICMP_SOURCE_QUENCH));
    setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f);
  } else if (kind == PK_ICMP_RAW && family == 6) {
    struct icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
    ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
    ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
    setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
  }
  if (kind == PK_ICMP_DGRAM || kind == PK_UDP) {
    if (family == 6) on(fd, IPPROTO_IPV6, IPV6_RECVERR);
    else on(fd, IPPROTO_IP, IP_RECVERR);
    /* bind now so the echo id / source port is known and constant (Paris: one flow per socket) */
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = af;
    if (s->has_src) any = s->src;
    socklen_t alen = family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&any, alen) < 0) {
      int e = errno;
      char a[INET6_ADDRSTRLEN] = "";
      if (s->has_src)
        inet_ntop(af, family == 6 ? (void *)&((struct sockaddr_in6 *)&s->src)->sin6_addr : (void *)&((struct sockaddr_in *)&s->src)->sin_addr, a, sizeof a);
      snprintf(err, errlen, "bind %s: %s", a[0] ? a : "(any)", strerror(e));
      close(fd);
      s->fd = -1;
      return -e;
    }
    struct sockaddr_storage me;
    socklen_t mlen = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &mlen);
    s->echo_id = ntohs(family == 6 ? ((struct sockaddr_in6 *)&me)->sin6_port : ((struct sockaddr_in *)&me)->sin_port);
  }
  if (kind == PK_TCP_RAW && family == 6) {
    int off = 16; /* kernel fills the TCP checksum (pseudo header needs the source it picks) */
    setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof off);
  }
  return 0;
}

/* Ask for a kernel timestamp when each probe leaves through the device, so the RTT does not
 * include the time our own process spends in the send path. OPT_ID numbers them per socket. */
int probe_enable_tx(probe_sock *s) {
  int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
              SOF_TIMESTAMPING_OPT_TSONLY;
  if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) < 0) return -errno;
  s->tx_ts = 1;
  s->tx_count = 0;
  return 0;
}

int set_ttl_tos(probe_sock *s, int ttl, int tos) {
  if (ttl > 0 && ttl != s->cur_ttl) {
    int r = s->family == 6 ? setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl)
                           : setsockopt(s->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    if (r < 0) return -errno;
    s->cur_ttl = ttl;
  }
  if (tos >= 0 && tos != s->cur_tos) {
    int r = s->family == 6 ? setsockopt(s->fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos)
                           : setsockopt(s->fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    if (r < 0) return -errno;
    s->cur_tos = tos;
  }
  return 0;
}

/* Payload: the socket cookie, a big-endian key, then a counting pattern. */
static void fill_payload(const probe_sock *s, uint8_t *p, int size, uint32_t key) {
  for (int i = 0; i < size; i++) p[i] = (uint8_t)(0x10 + i);
  memcpy(p, s->cookie, size < 8 ? (size_t)size : 8);
  if (size >= 12) { p[8] = key >> 24; p[9] = key >> 16; p[10] = key >> 8; p[11] = key; }
}

static int do_send(probe_sock *s, const void *buf, size_t n, const struct sockaddr_storage *dst, socklen_t dlen, double *t_ns) {
  for (int attempt = 0;; attempt++) {
    *t_ns = probe_now_ns();
    ssize_t r = sendto(s->fd, buf, n, 0, (const struct sockaddr *)dst, dlen);
    if (r >= 0) {
      if (s->tx_ts) s->tx_tag[s->tx_count++ % TX_RING] = s->cur_tag;
      return 0;
    }
    /* with IP_RECVERR an earlier probe's ICMP error is also left as a pending socket error, which
     * the next sendto reports instead of sending; that error belongs to the old probe: send again */
    int e = errno;
    if (attempt < 2 && (e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EPROTO || e == EINTR)) continue;
    return -e;
  }
}

int send_echo(probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, int id, int seq, int size, double *t_ns) {
  uint8_t pkt[65536];
  if (size < 0 || size > 65507) return -EMSGSIZE;
  pkt[0] = s->family == 6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  pkt[1] = 0;
  pkt[2] = pkt[3] = 0;
  if (s->kind == PK_ICMP_DGRAM) id = s->echo_id;
  pkt[4] = id >> 8; pkt[5] = id;
  pkt[6] = seq >> 8; pkt[7] = seq;
  fill_payload(s, pkt + 8, size, (uint32_t)seq);
  if (s->family == 4) {
    uint16_t c = inet_cksum(pkt, 8 + size, 0);
    memcpy(pkt + 2, &c, 2);
  } /* ICMPv6 and ping sockets: the kernel computes the checksum */
  return do_send(s, pkt, 8 + size, dst, dlen, t_ns);
}

int send_udp(probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, uint32_t key, int size, double *t_ns) {
  uint8_t pkt[65536];
  if (size < 0 || size > 65507) return -EMSGSIZE;
  fill_payload(s, pkt, size, key);
  return do_send(s, pkt, size, dst, dlen, t_ns);
}

/* The source address the kernel will use towards dst (the IPv4 TCP pseudo header; ping's "from"). */
int probe_source_for(const probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, struct sockaddr_storage *src) {
  if (s->has_src) { *src = s->src; return 0; }
  int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  /* the same route lookup as the probe socket's: same interface and fwmark */
  if ((s->has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &s->mark, sizeof s->mark) < 0) ||
      (s->device[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->device, (socklen_t)strlen(s->device) + 1) < 0)) {
    int e = errno;
    close(fd);
    return -e;
  }
  struct sockaddr_storage d = *dst;
  if (d.ss_family == AF_INET) ((struct sockaddr_in *)&d)->sin_port = htons(9);
  else ((struct sockaddr_in6 *)&d)->sin6_port = htons(9);
  socklen_t slen = sizeof *src;
  int r = 0;
  if (connect(fd, (struct sockaddr *)&d, dlen) < 0 || getsockname(fd, (struct sockaddr *)src, &slen) < 0) r = -errno;
  close(fd);
  return r;
}

int send_tcp_syn(probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, int sport, uint32_t seq, double *t_ns) {
  uint8_t pkt[24];
  int dport = ntohs(dst->ss_family == AF_INET ? ((const struct sockaddr_in *)dst)->sin_port
                                              : ((const struct sockaddr_in6 *)dst)->sin6_port);
  memset(pkt, 0, sizeof pkt);
  pkt[0] = sport >> 8; pkt[1] = sport;
  pkt[2] = dport >> 8; pkt[3] = dport;
  pkt[4] = seq >> 24; pkt[5] = seq >> 16; pkt[6] = seq >> 8; pkt[7] = seq;
  pkt[12] = 6 << 4;          /* data offset: 24 bytes (one MSS option) */
  pkt[13] = 0x02;            /* SYN */
  pkt[14] = 0xff; pkt[15] = 0xff;
  pkt[20] = 2; pkt[21] = 4; pkt[22] = 0x05; pkt[23] = 0xb4; /* MSS 1460 */
  /* raw IPPROTO_TCP sockets ignore the port in the address; the kernel builds the IP header */
  struct sockaddr_storage d = *dst;
  if (s->family == 4) {
    struct sockaddr_storage src;
    int r = probe_source_for(s, dst, dlen, &src);
    if (r < 0) return r;
    uint8_t ph[12];
    memcpy(ph, &((struct sockaddr_in *)&src)->sin_addr, 4);
    memcpy(ph + 4, &((const struct sockaddr_in *)dst)->sin_addr, 4);
    ph[8] = 0; ph[9] = IPPROTO_TCP; ph[10] = 0; ph[11] = sizeof pkt;
    uint32_t sum = 0;
    for (int i = 0; i < 12; i += 2) sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
    /* one's-complement sum over pseudo header and segment, in network-order words */
    uint32_t total = sum;
    for (size_t i = 0; i < sizeof pkt; i += 2) total += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
    while (total >> 16) total = (total & 0xffff) + (total >> 16);
    uint16_t ck = (uint16_t)~total;
    pkt[16] = ck >> 8; pkt[17] = ck;
    ((struct sockaddr_in *)&d)->sin_port = 0;
  } else {
    ((struct sockaddr_in6 *)&d)->sin6_port = 0;
  }
  return do_send(s, pkt, sizeof pkt, &d, dlen, t_ns);
}

/* Bytes of data in a control message: what its header claims (0 when less than itself), never
   past the end of the control buffer (a cut cmsg must not be read whole). */
static size_t cmsg_data_len(const struct msghdr *m, const struct cmsghdr *c) {
  const uint8_t *data = CMSG_DATA(c), *end = (const uint8_t *)m->msg_control + m->msg_controllen;
  if (data >= end) return 0;
  size_t dl = c->cmsg_len > CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
  return dl < (size_t)(end - data) ? dl : (size_t)(end - data);
}

/* Read cmsgs common to both queues: kernel timestamp and received TTL; each is used only when it
   holds the bytes read from it (*eelen: the extended error's bytes, offender address included). */
static void read_cmsgs(struct msghdr *m, probe_event *ev, struct sock_extended_err **ee, size_t *eelen) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    size_t dl = cmsg_data_len(m, c);
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && dl >= sizeof(struct timespec)) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      ev->t_ns = ts_ns(&ts);
    } else if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) && dl >= sizeof(int)) {
      int v;
      memcpy(&v, CMSG_DATA(c), sizeof v);
      ev->ttl = v;
    } else if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) && dl >= sizeof(struct sock_extended_err)) {
      *ee = (struct sock_extended_err *)CMSG_DATA(c);
      *eelen = dl;
    }
  }
}

static void init_event(probe_event *ev) {
  memset(ev, 0, sizeof *ev);
  ev->ttl = -1;
  ev->type = ev->code = -1;
  ev->id = -1;
  ev->key = -1;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* Error-queue message: an ICMP error for one of our probes (UDP or ICMP datagram sockets). */
static int decode_errqueue(probe_sock *s, struct msghdr *m, const uint8_t *data, size_t n, probe_event *ev) {
  struct sock_extended_err *ee = NULL;
  size_t eelen = 0;
  read_cmsgs(m, ev, &ee, &eelen);
  if (!ee) return 0;
  if (ee->ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
    struct timespec ts = { 0, 0 };
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING && cmsg_data_len(m, c) >= sizeof ts)
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
    if (!s->tx_ts || (!ts.tv_sec && !ts.tv_nsec)) return 0;
    /* an OPT_ID far from what we sent is not ours to trust */
    if (s->tx_count - ee->ee_data - 1 >= TX_RING) return 0;
    ev->kind = EV_TX;
    ev->t_ns = ts_ns(&ts);
    ev->key = s->tx_tag[ee->ee_data % TX_RING];
    return 1;
  }
  ev->kind = EV_ERROR;
  ev->err_no = (int)ee->ee_errno;
  if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
    ev->type = ee->ee_type;
    ev->code = ee->ee_code;
    /* the offender address follows the error in the same cmsg */
    size_t room = eelen - sizeof *ee;
    struct sockaddr_storage off;
    memset(&off, 0, sizeof off);
    memcpy(&off, SO_EE_OFFENDER(ee), room < sizeof off ? room : sizeof off);
    if (off.ss_family == AF_INET && room >= sizeof(struct sockaddr_in)) memcpy(&ev->from, &off, sizeof(struct sockaddr_in));
    else if (off.ss_family == AF_INET6 && room >= sizeof(struct sockaddr_in6)) memcpy(&ev->from, &off, sizeof(struct sockaddr_in6));
  } else {
    ev->type = -2; /* local error (e.g. EMSGSIZE): no ICMP type */
  }
  if (m->msg_namelen) memcpy(&ev->inner_dst, m->msg_name, m->msg_namelen < sizeof ev->inner_dst ? m->msg_namelen : sizeof ev->inner_dst);
  if (s->kind == PK_UDP) {
    ev->inner_proto = IPPROTO_UDP;
    ev->inner_sport = s->echo_id;
    ev->inner_dport = ntohs(ev->inner_dst.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ev->inner_dst)->sin6_port
                                                                : ((struct sockaddr_in *)&ev->inner_dst)->sin_port);
    if (n >= 12 && memcmp(data, s->cookie, 8) == 0) { ev->cookie_ok = 1; ev->key = be32(data + 8); }
    /* the kernel queues the rest of the ICMP message from the quoted UDP payload on: an RFC 4884
     * extension follows the 128-byte original datagram (no length field here; mtr assumes 128 too) */
    size_t at = 128 - (s->family == 6 ? 40 : 20) - 8;
    if (ev->type >= 0 && n > at) parse_ext_struct(data + at, n - at, ev);
  } else {
    /* ping socket: data is the quoted echo request header + payload */
    ev->inner_proto = s->family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    if (n >= 8) { ev->id = data[4] << 8 | data[5]; ev->key = data[6] << 8 | data[7]; }
    if (n >= 16 && memcmp(data + 8, s->cookie, 8) == 0) ev->cookie_ok = 1;
    size_t at = 128 - (s->family == 6 ? 40 : 20); /* from the quoted ICMP header */
    if (ev->type >= 0 && n > at) parse_ext_struct(data + at, n - at, ev);
  }
  return 1;
}

/* One receive buffer for the process: drains run only on the loop thread, never nested. Large
 * enough for any IP packet, so a big echo reply is never cut short and mistaken for a truncated one. */
static uint8_t buf[65600];

int probe_drain(probe_sock *s, event_fn fn, void *ctx) {
  char cbuf[512];
  struct sockaddr_storage name;
  int count = 0;
  int use_errq = s->kind == PK_ICMP_DGRAM || s->kind == PK_UDP || s->tx_ts;
  /* the error queue first: a probe's TX timestamp must be seen before its reply */
  for (int pass = use_errq ? 1 : 0; pass >= 0; pass--) {
    for (int i = 0; i < 1024; i++) { /* bounded per wakeup; level-triggered poll calls us again */
      struct iovec iov = { buf, sizeof buf };
      struct msghdr m;
      memset(&m, 0, sizeof m);
      m.msg_name = &name;
      m.msg_namelen = sizeof name;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = cbuf;
      m.msg_controllen = sizeof cbuf;
      ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT | (pass ? MSG_ERRQUEUE : 0));
      if (n < 0) {
        if (errno == EINTR) continue;
        break; /* EAGAIN or a pending socket error already reported via the error queue */
      }
      probe_event ev;
      init_event(&ev);
      ev.t_ns = -1;
      if (pass) {
        if (!decode_errqueue(s, &m, buf, (size_t)n, &ev)) continue;
      } else {
        struct sock_extended_err *ee = NULL;
        size_t eelen = 0;
        read_cmsgs(&m, &ev, &ee, &eelen);
        memcpy(&ev.from, &name, m.msg_namelen < sizeof name ? m.msg_namelen : sizeof name);
        size_t len = (size_t)n; /* parsers bound every read by this (a truncated read is just shorter) */
        switch (s->kind) {
          case PK_ICMP_RAW:
            if (s->family == 4) parse_icmp4_raw(s, buf, len, &ev); else parse_icmp6_raw(s, buf, len, &ev);
            break;
          case PK_ICMP_DGRAM:
            parse_icmp_dgram(s, buf, len, &ev);
            break;
          case PK_TCP_RAW:
            parse_tcp_reply(s, buf, len, &ev);
            break;
          default:
            break; /* UDP data from the target: not a probe answer we use */
        }
        if (!ev.kind) continue;
      }
      if (ev.t_ns < 0) ev.t_ns = probe_now_ns();
      fn(ctx, &ev);
      count++;
    }
  }
  return count;
}
