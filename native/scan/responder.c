/*
 * Test responder: answers UDP probes on many addresses and ports at high rate, for the amp scan
 * tests and benchmark. It runs in its own thread (epoll + recvmmsg/sendmmsg) inside a test
 * namespace whose address range is routed `local` to lo, so sockets bound to 0.0.0.0 receive for
 * every address; IP_PKTINFO gives the probed address and the reply is sent from it.
 *
 * Rules (first match wins): port, address range [lo, hi] (host order), optional byte match at an
 * offset, reply datagrams, `echo` = copy the first N request bytes over each reply (transaction
 * ids), optional fromPort / fromAddr to model misbehaving or spoofing hosts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "scan.h"

#define R_BATCH 128
#define R_OUT 512
#define R_MAXLEN 1472
#define R_MAXSOCK 64

typedef struct {
  uint16_t port, from_port;
  uint32_t lo, hi, from_addr;
  uint32_t match_off, match_len, echo;
  uint8_t *match;
  uint32_t nreplies;
  uint8_t **reply;
  uint32_t *rlen;
} rule_t;

typedef struct {
  pthread_t thread;
  volatile int stop;
  int epfd;
  int nsock;
  int fd[R_MAXSOCK];
  uint16_t port[R_MAXSOCK];
  rule_t *rules;
  uint32_t nrules;
  uint64_t received, sent, unmatched, send_errors;
  /* send batch */
  int out_n;
  int out_fd;
  uint8_t out_buf[R_OUT][R_MAXLEN];
  struct mmsghdr out_m[R_OUT];
  struct iovec out_iov[R_OUT];
  struct sockaddr_in out_to[R_OUT];
  char out_ctl[R_OUT][CMSG_SPACE(sizeof(struct in_pktinfo))];
} responder_t;

/* JS holds this; stop() clears r (the responder itself is freed there). */
typedef struct { responder_t *r; } holder_t;

static int sock_for_port(responder_t *r, uint16_t port) {
  for (int i = 0; i < r->nsock; i++) if (r->port[i] == port) return r->fd[i];
  return -1;
}

static void flush(responder_t *r) {
  int off = 0;
  while (off < r->out_n) {
    int k = sendmmsg(r->out_fd, r->out_m + off, r->out_n - off, 0);
    if (k <= 0) { r->send_errors++; off++; continue; }
    r->sent += k;
    off += k;
  }
  r->out_n = 0;
}

static void queue(responder_t *r, int fd, const uint8_t *data, uint32_t len, uint32_t to_addr, uint16_t to_port, uint32_t from_addr) {
  if (r->out_n && (r->out_fd != fd || r->out_n == R_OUT)) flush(r);
  r->out_fd = fd;
  int i = r->out_n++;
  if (len > R_MAXLEN) len = R_MAXLEN;
  memcpy(r->out_buf[i], data, len);
  r->out_iov[i].iov_base = r->out_buf[i];
  r->out_iov[i].iov_len = len;
  memset(&r->out_to[i], 0, sizeof r->out_to[i]);
  r->out_to[i].sin_family = AF_INET;
  r->out_to[i].sin_addr.s_addr = to_addr;
  r->out_to[i].sin_port = to_port;
  struct msghdr *h = &r->out_m[i].msg_hdr;
  memset(h, 0, sizeof *h);
  h->msg_name = &r->out_to[i];
  h->msg_namelen = sizeof r->out_to[i];
  h->msg_iov = &r->out_iov[i];
  h->msg_iovlen = 1;
  h->msg_control = r->out_ctl[i];
  h->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
  struct cmsghdr *c = CMSG_FIRSTHDR(h);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
  struct in_pktinfo pi;
  memset(&pi, 0, sizeof pi);
  pi.ipi_spec_dst.s_addr = from_addr;
  memcpy(CMSG_DATA(c), &pi, sizeof pi);
}

static void handle(responder_t *r, int fd, uint16_t port, const uint8_t *req, uint32_t len, struct sockaddr_in *src, uint32_t dst_n) {
  uint32_t dst = ntohl(dst_n);
  for (uint32_t i = 0; r->rules && i < r->nrules; i++) {
    rule_t *u = &r->rules[i];
    if (u->port != port || dst < u->lo || dst > u->hi) continue;
    /* match_off + match_len could wrap in 32 bits (matchOff near 2^32) and pass a sum test */
    if (u->match_len && (u->match_off > len || u->match_len > len - u->match_off ||
                         memcmp(req + u->match_off, u->match, u->match_len))) continue;
    int out_fd = u->from_port ? sock_for_port(r, u->from_port) : fd;
    if (out_fd < 0) out_fd = fd;
    uint32_t from = u->from_addr ? htonl(u->from_addr) : dst_n;
    for (uint32_t k = 0; k < u->nreplies; k++) {
      queue(r, out_fd, u->reply[k], u->rlen[k], src->sin_addr.s_addr, src->sin_port, from);
      uint32_t e = u->echo < len ? u->echo : len;
      if (e > u->rlen[k]) e = u->rlen[k];
      if (e) memcpy(r->out_buf[r->out_n - 1], req, e);
    }
    return;
  }
  r->unmatched++;
}

static void *run(void *arg) {
  responder_t *r = arg;
  static __thread uint8_t buf[R_BATCH][2048];
  struct mmsghdr m[R_BATCH];
  struct iovec iov[R_BATCH];
  struct sockaddr_in src[R_BATCH];
  char ctl[R_BATCH][256];
  struct epoll_event ev[R_MAXSOCK];
  while (!r->stop) {
    int n = epoll_wait(r->epfd, ev, R_MAXSOCK, 100);
    for (int e = 0; e < n; e++) {
      int idx = ev[e].data.u32;
      int fd = r->fd[idx];
      for (int round = 0; round < 16; round++) {
        for (int i = 0; i < R_BATCH; i++) {
          iov[i].iov_base = buf[i];
          iov[i].iov_len = sizeof buf[i];
          memset(&m[i].msg_hdr, 0, sizeof(struct msghdr));
          m[i].msg_hdr.msg_name = &src[i];
          m[i].msg_hdr.msg_namelen = sizeof src[i];
          m[i].msg_hdr.msg_iov = &iov[i];
          m[i].msg_hdr.msg_iovlen = 1;
          m[i].msg_hdr.msg_control = ctl[i];
          m[i].msg_hdr.msg_controllen = sizeof ctl[i];
        }
        int got = recvmmsg(fd, m, R_BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) break;
        r->received += got;
        for (int i = 0; i < got; i++) {
          uint32_t dst = 0;
          for (struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr); c; c = CMSG_NXTHDR(&m[i].msg_hdr, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
              struct in_pktinfo pi;
              memcpy(&pi, CMSG_DATA(c), sizeof pi);
              dst = pi.ipi_addr.s_addr;
            }
          }
          handle(r, fd, r->port[idx], buf[i], m[i].msg_len, &src[i], dst);
        }
        if (r->out_n) flush(r);
        if (got < R_BATCH) break;
      }
    }
  }
  return NULL;
}

static void free_responder(responder_t *r) {
  for (int i = 0; i < r->nsock; i++) close(r->fd[i]);
  if (r->epfd >= 0) close(r->epfd);
  for (uint32_t i = 0; r->rules && i < r->nrules; i++) {
    free(r->rules[i].match);
    for (uint32_t k = 0; k < r->rules[i].nreplies; k++) free(r->rules[i].reply[k]);
    free(r->rules[i].reply);
    free(r->rules[i].rlen);
  }
  free(r->rules);
  free(r);
}

#ifndef HOSTOPS_FUZZ /* the N-API part; native/fuzz/fuzz_scan.c drives handle() directly */
static uint32_t prop_u32(napi_env env, napi_value o, const char *name, uint32_t dflt) {
  bool has = false;
  napi_value v;
  uint32_t x = dflt;
  napi_has_named_property(env, o, name, &has);
  if (!has) return dflt;
  napi_get_named_property(env, o, name, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_number) napi_get_value_uint32(env, v, &x);
  return x;
}

static int add_socket(responder_t *r, uint16_t port) {
  if (sock_for_port(r, port) >= 0) return 0;
  if (r->nsock >= R_MAXSOCK) { errno = EMFILE; return -1; }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1, big = 64 << 20;
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
  int idx = r->nsock++;
  r->fd[idx] = fd;
  r->port[idx] = port;
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)idx };
  epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev);
  return 0;
}

/* responderStart([{ port, lo, hi, replies: Buffer[], match?, matchOff?, echo?, fromPort?, fromAddr? }]) */
napi_value responder_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t n = 0;
  if (argc < 1 || napi_get_array_length(env, argv[0], &n) != napi_ok) { napi_throw_type_error(env, NULL, "responderStart(rules[])"); return NULL; }
  responder_t *r = calloc(1, sizeof *r);
  holder_t *hd = malloc(sizeof *hd);
  if (!r || !hd) { free(r); free(hd); napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  r->rules = calloc(n ? n : 1, sizeof(rule_t));
  if (r->epfd < 0 || !r->rules) {
    napi_value err = scan_throw_errno(env, r->epfd < 0 ? "epoll_create1" : "responder rules");
    free_responder(r);
    free(hd);
    return err;
  }
  r->nrules = n;
  for (uint32_t i = 0; i < n; i++) {
    napi_value o, v;
    napi_get_element(env, argv[0], i, &o);
    rule_t *u = &r->rules[i];
    u->port = (uint16_t)prop_u32(env, o, "port", 0);
    u->lo = prop_u32(env, o, "lo", 0);
    u->hi = prop_u32(env, o, "hi", 0xffffffff);
    u->match_off = prop_u32(env, o, "matchOff", 0);
    u->echo = prop_u32(env, o, "echo", 0);
    u->from_port = (uint16_t)prop_u32(env, o, "fromPort", 0);
    u->from_addr = prop_u32(env, o, "fromAddr", 0);
    bool has = false;
    napi_has_named_property(env, o, "match", &has);
    if (has) {
      void *d; size_t len;
      napi_get_named_property(env, o, "match", &v);
      if (napi_get_buffer_info(env, v, &d, &len) == napi_ok && len) {
        u->match = malloc(len);
        if (!u->match) goto oom;
        memcpy(u->match, d, len);
        u->match_len = (uint32_t)len;
      }
    }
    napi_get_named_property(env, o, "replies", &v);
    uint32_t nr = 0;
    napi_get_array_length(env, v, &nr);
    u->reply = calloc(nr ? nr : 1, sizeof(uint8_t *));
    u->rlen = calloc(nr ? nr : 1, sizeof(uint32_t));
    if (!u->reply || !u->rlen) goto oom;
    for (uint32_t k = 0; k < nr; k++) {
      napi_value b;
      void *d; size_t len = 0;
      napi_get_element(env, v, k, &b);
      if (napi_get_buffer_info(env, b, &d, &len) != napi_ok) len = 0;
      if (len > R_MAXLEN) len = R_MAXLEN;
      u->reply[k] = malloc(len ? len : 1);
      u->nreplies = k + 1; /* what free_responder frees */
      if (!u->reply[k]) goto oom;
      if (len) memcpy(u->reply[k], d, len);
      u->rlen[k] = (uint32_t)len;
    }
    if (add_socket(r, u->port) < 0 || (u->from_port && add_socket(r, u->from_port) < 0)) {
      napi_value err = scan_throw_errno(env, "responder bind");
      free_responder(r);
      free(hd);
      return err;
    }
  }
  if (pthread_create(&r->thread, NULL, run, r) != 0) {
    free_responder(r);
    free(hd);
    return scan_throw_errno(env, "pthread_create");
  }
  hd->r = r;
  napi_value h;
  napi_create_external(env, hd, NULL, NULL, &h);
  return h;
oom:
  free_responder(r);
  free(hd);
  napi_throw_error(env, "ENOMEM", "out of memory");
  return NULL;
}

napi_value responder_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  holder_t *hd = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&hd) != napi_ok || !hd) { napi_throw_type_error(env, "EINVAL", "expected a responder handle"); return NULL; }
  responder_t *r = hd->r;
  if (!r) { napi_throw_error(env, "ECLOSED", "responder is stopped"); return NULL; }
  hd->r = NULL; /* a second stop is ECLOSED, not a use after free */
  r->stop = 1;
  pthread_join(r->thread, NULL);
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_double(env, (double)r->received, &v); napi_set_named_property(env, o, "received", v);
  napi_create_double(env, (double)r->sent, &v); napi_set_named_property(env, o, "sent", v);
  napi_create_double(env, (double)r->unmatched, &v); napi_set_named_property(env, o, "unmatched", v);
  napi_create_double(env, (double)r->send_errors, &v); napi_set_named_property(env, o, "sendErrors", v);
  free_responder(r);
  return o;
}
#endif /* HOSTOPS_FUZZ */
