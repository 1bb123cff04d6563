/*
 * Scanner socket: one unconnected non-blocking UDP/IPv4 socket. Probes go out with sendmmsg in
 * batches; replies are drained with recvmmsg when libuv reports the socket readable (uv_poll on
 * the Node loop, no thread, no busy loop) and handed to JS as fixed-size records. MSG_TRUNC makes
 * the kernel report each datagram's full length while only its first REC_CAP bytes are copied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>
#include "scan.h"

#define BATCH 256
#define MAX_PAYLOADS 64
#define MAX_PAYLOAD_LEN 1400
#define DRAIN_ROUNDS 32

typedef struct {
  int fd;
  int closing;
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  uint8_t *payload[MAX_PAYLOADS];
  size_t plen[MAX_PAYLOADS];
  int npay;
  uint64_t sent, failed, received, callbacks;
  uint32_t rxq_ovfl; /* kernel's count of datagrams dropped on this socket (SO_RXQ_OVFL) */
  char ctl[BATCH][64];
  uint8_t cap[BATCH][REC_CAP];
  struct sockaddr_in from[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  uint8_t *out; /* BATCH * DRAIN_ROUNDS records */
} scanner_t;

/* JS holds this, not the scanner: close() frees the scanner (after libuv lets go of its poll
   handle) and clears s, so a call on a closed handle is an ECLOSED error, never a use after free. */
typedef struct { scanner_t *s; } holder_t;

static holder_t *get_holder(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, "EINVAL", "expected a scanner handle");
    return NULL;
  }
  return p;
}

static scanner_t *get(napi_env env, napi_value v) {
  holder_t *h = get_holder(env, v);
  if (!h) return NULL;
  if (!h->s || h->s->closing) { napi_throw_error(env, "ECLOSED", "scanner is closed"); return NULL; }
  return h->s;
}

static void deliver(scanner_t *s, size_t n) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value buf, cb, global, argv[2], result;
  void *data;
  napi_create_buffer_copy(env, n * REC_SIZE, s->out, &data, &buf);
  napi_create_uint32(env, (uint32_t)n, &argv[1]);
  argv[0] = buf;
  napi_get_reference_value(env, s->cb, &cb);
  napi_get_global(env, &global);
  s->callbacks++;
  if (napi_call_function(env, global, cb, 2, argv, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  scanner_t *s = h->data;
  if (s->closing || status < 0) return;
  size_t n = 0;
  for (int round = 0; round < DRAIN_ROUNDS; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->iov[i].iov_base = s->cap[i];
      s->iov[i].iov_len = REC_CAP;
      memset(&s->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
      s->msgs[i].msg_hdr.msg_name = &s->from[i];
      s->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
      s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
      s->msgs[i].msg_hdr.msg_iovlen = 1;
      s->msgs[i].msg_hdr.msg_control = s->ctl[i];
      s->msgs[i].msg_hdr.msg_controllen = sizeof s->ctl[i];
    }
    int got = recvmmsg(s->fd, s->msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (got <= 0) break;
    for (int i = 0; i < got; i++) {
      uint8_t *r = s->out + n * REC_SIZE;
      unsigned len = s->msgs[i].msg_len;
      unsigned capd = len < REC_CAP ? len : REC_CAP;
      memcpy(r, &s->from[i].sin_addr.s_addr, 4);
      memcpy(r + 4, &s->from[i].sin_port, 2);
      uint16_t l16 = htons(len > 65535 ? 65535 : len), c16 = htons(capd);
      memcpy(r + 6, &l16, 2);
      memcpy(r + 8, &c16, 2);
      memset(r + 10, 0, REC_HDR - 10);
      memcpy(r + REC_HDR, s->cap[i], capd);
      n++;
    }
    s->received += got;
    struct msghdr *last = &s->msgs[got - 1].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(last); c; c = CMSG_NXTHDR(last, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof s->rxq_ovfl)) memcpy(&s->rxq_ovfl, CMSG_DATA(c), sizeof s->rxq_ovfl);
    }
    if (got < BATCH) break;
  }
  if (n) deliver(s, n);
}

static void finalize_holder(napi_env env, void *data, void *hint);

/* open(callback(records: Buffer, count: number), { rcvbuf?, sndbuf? }) -> handle */
napi_value scanner_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (argc < 1 || t != napi_function) { napi_throw_type_error(env, NULL, "open(callback, opts)"); return NULL; }
  int rcvbuf = 16 << 20, sndbuf = 4 << 20;
  if (argc > 1) {
    napi_value v; bool has;
    napi_has_named_property(env, argv[1], "rcvbuf", &has);
    if (has) { napi_get_named_property(env, argv[1], "rcvbuf", &v); napi_get_value_int32(env, v, &rcvbuf); }
    napi_has_named_property(env, argv[1], "sndbuf", &has);
    if (has) { napi_get_named_property(env, argv[1], "sndbuf", &v); napi_get_value_int32(env, v, &sndbuf); }
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return scan_throw_errno(env, "socket");
  /* FORCE variants exceed rmem_max when root; fall back quietly otherwise */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET };
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return scan_throw_errno(env, "bind"); }
  scanner_t *s = calloc(1, sizeof *s);
  holder_t *hd = malloc(sizeof *hd);
  if (s) s->out = malloc((size_t)BATCH * DRAIN_ROUNDS * REC_SIZE);
  if (!s || !s->out || !hd) {
    close(fd);
    if (s) free(s->out);
    free(s);
    free(hd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  s->fd = fd;
  s->env = env;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd);
    free(s->out);
    free(s);
    free(hd);
    napi_throw_error(env, "ESCAN", "uv_poll_init failed");
    return NULL;
  }
  napi_create_reference(env, argv[0], 1, &s->cb);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  hd->s = s;
  napi_value h, port;
  napi_create_external(env, hd, finalize_holder, NULL, &h);
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  napi_create_uint32(env, ntohs(a.sin_port), &port);
  napi_value res;
  napi_create_object(env, &res);
  napi_set_named_property(env, res, "handle", h);
  napi_set_named_property(env, res, "port", port);
  return res;
}

/* setPayloads(handle, Buffer[]) copies the probe payloads; send() refers to them by index */
napi_value scanner_set_payloads(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  scanner_t *s = get(env, argv[0]);
  if (!s) return NULL;
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  if (n > MAX_PAYLOADS) { napi_throw_range_error(env, NULL, "too many payloads"); return NULL; }
  for (int i = 0; i < s->npay; i++) free(s->payload[i]);
  s->npay = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    void *d; size_t len;
    napi_get_element(env, argv[1], i, &el);
    if (napi_get_buffer_info(env, el, &d, &len) != napi_ok || len > MAX_PAYLOAD_LEN) {
      napi_throw_type_error(env, NULL, "payloads must be Buffers of at most 1400 bytes");
      return NULL;
    }
    s->payload[i] = malloc(len ? len : 1);
    if (!s->payload[i]) { napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
    if (len) memcpy(s->payload[i], d, len); /* an empty Buffer may have no data pointer */
    s->plen[i] = len;
    s->npay = i + 1;
  }
  return NULL;
}

/*
 * send(handle, dsts: Buffer, start, count) -> entries consumed. Each 8-byte entry: IPv4 (network
 * order), port (network order), payload index (u16 big-endian). Stops early when the socket
 * buffer is full (EAGAIN); the caller retries the rest on its next tick.
 */
napi_value scanner_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  scanner_t *s = get(env, argv[0]);
  if (!s) return NULL;
  uint8_t *d; size_t len;
  uint32_t start = 0, count = 0;
  if (napi_get_buffer_info(env, argv[1], (void **)&d, &len) != napi_ok) { napi_throw_type_error(env, NULL, "dsts must be a Buffer"); return NULL; }
  napi_get_value_uint32(env, argv[2], &start);
  napi_get_value_uint32(env, argv[3], &count);
  if ((uint64_t)start + count > len / 8) { napi_throw_range_error(env, NULL, "start/count beyond dsts"); return NULL; }
  struct mmsghdr m[BATCH];
  struct sockaddr_in to[BATCH];
  struct iovec iov[BATCH];
  uint32_t done = 0;
  while (done < count) {
    int k = 0;
    while (k < BATCH && done + k < count) {
      const uint8_t *e = d + (size_t)(start + done + k) * 8;
      uint16_t pi = (uint16_t)(e[6] << 8 | e[7]);
      if (pi >= s->npay) { napi_throw_range_error(env, NULL, "payload index out of range"); return NULL; }
      memset(&to[k], 0, sizeof to[k]);
      to[k].sin_family = AF_INET;
      memcpy(&to[k].sin_addr.s_addr, e, 4);
      memcpy(&to[k].sin_port, e + 4, 2);
      iov[k].iov_base = s->payload[pi];
      iov[k].iov_len = s->plen[pi];
      memset(&m[k].msg_hdr, 0, sizeof(struct msghdr));
      m[k].msg_hdr.msg_name = &to[k];
      m[k].msg_hdr.msg_namelen = sizeof to[k];
      m[k].msg_hdr.msg_iov = &iov[k];
      m[k].msg_hdr.msg_iovlen = 1;
      k++;
    }
    int r = sendmmsg(s->fd, m, k, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
      if (errno == EINTR) continue;
      /* this destination cannot be sent to (unreachable, EPERM by a filter): skip it */
      s->failed++;
      done++;
      continue;
    }
    s->sent += r;
    done += r;
    if (r < k) {
      /* a short count means the next message failed or would block; try it once alone */
      continue;
    }
  }
  napi_value res;
  napi_create_uint32(env, done, &res);
  return res;
}

napi_value scanner_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  scanner_t *s = get(env, argv[0]);
  if (!s) return NULL;
  napi_value o, v;
  napi_create_object(env, &o);
#define F(name, val) napi_create_double(env, (double)(val), &v); napi_set_named_property(env, o, name, v);
  F("sent", s->sent);
  F("failed", s->failed);
  F("received", s->received);
  F("callbacks", s->callbacks);
  F("dropped", s->rxq_ovfl);
#undef F
  return o;
}

static void on_closed(uv_handle_t *h) {
  scanner_t *s = h->data;
  close(s->fd);
  for (int i = 0; i < s->npay; i++) free(s->payload[i]);
  free(s->out);
  free(s);
}

static void do_close(napi_env env, holder_t *h) {
  scanner_t *s = h->s;
  h->s = NULL;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  napi_delete_reference(env, s->cb);
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

/* A scanner never closed by JS is closed when its handle is collected. */
static void finalize_holder(napi_env env, void *data, void *hint) {
  holder_t *h = data;
  if (h->s) do_close(env, h);
  free(h);
}

/* close(handle): a second close is a no-op (the handle stays ECLOSED for every other call). */
napi_value scanner_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  holder_t *h = get_holder(env, argv[0]);
  if (h && h->s) do_close(env, h);
  return NULL;
}
