/* Native UDP receive for iperf3 data streams. A dup of the stream socket's fd is watched by a
 * uv_poll on Node's own loop (no threads, no busy loop); each wakeup drains the socket with
 * recvmmsg in batches, reading only the 16-byte iperf3 header of each datagram (MSG_TRUNC gives
 * the real length) and its kernel receive time (SO_TIMESTAMPNS). Loss, out-of-order and RFC 1889
 * jitter are counted here as iperf_udp_recv does; JS reads the running totals when it reports. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <uv.h>

#include "sock.h"

#define BATCH 64          /* datagrams per recvmmsg */
#define MAX_BATCHES 32    /* per wakeup, so one busy stream cannot starve the loop */
#define HDR 16

typedef struct {
  int fd;
  int udp64;
  int counting;
  int closing;
  uv_poll_t poll;
  /* totals since open (only while counting) */
  double bytes;
  double datagrams;
  /* unsigned: a hostile sequence number near 2^64 must wrap, not overflow a signed type */
  uint64_t packets;  /* highest sequence number seen (iperf3's packet_count) */
  uint64_t errors;   /* cnt_error */
  uint64_t ooo;      /* outoforder_packets */
  double jitter;     /* seconds */
  double prev_transit;
  int got_first;
  double ts_kernel;  /* datagrams that carried a kernel timestamp */
  int64_t rt_minus_mono_ns;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint8_t hdr[BATCH][HDR];
  union { char buf[CMSG_SPACE(sizeof(struct timespec)) * 2]; struct cmsghdr align; } ctl[BATCH];
} udprx;

typedef struct { udprx *r; } holder;

static int64_t ns_of(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void account(udprx *r, const uint8_t *h, unsigned len, int64_t arrival_mono_ns) {
  if (len < (unsigned)(r->udp64 ? 16 : 12)) return;
  uint32_t sec = be32(h), usec = be32(h + 4);
  uint64_t seq = r->udp64 ? (uint64_t)be32(h + 8) << 32 | be32(h + 12) : be32(h + 8);
  r->bytes += len;
  r->datagrams++;
  if (seq >= r->packets + 1) {
    if (seq > r->packets + 1) r->errors += seq - 1 - r->packets;
    r->packets = seq;
  } else {
    r->ooo++;
    if (r->errors > 0) r->errors--;
  }
  /* transit = arrival - sent on the sender's CLOCK_MONOTONIC scale (same host or not: only the
   * differences of transit times matter for jitter) */
  int64_t sent_ns = (int64_t)sec * 1000000000 + (int64_t)usec * 1000;
  double transit = (double)(arrival_mono_ns - sent_ns) / 1e9;
  if (!r->got_first) { r->prev_transit = transit; r->got_first = 1; }
  double d = transit - r->prev_transit;
  if (d < 0) d = -d;
  r->prev_transit = transit;
  r->jitter += (d - r->jitter) / 16.0;
}

/* Points each batch slot's iovec at its header buffer and its control buffer at the slot's own. */
static void udprx_init_batch(udprx *r) {
  for (int i = 0; i < BATCH; i++) {
    r->iov[i].iov_base = r->hdr[i];
    r->iov[i].iov_len = HDR;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_control = r->ctl[i].buf;
  }
}

static void drain(udprx *r) {
  for (int b = 0; b < MAX_BATCHES && !r->closing; b++) {
    for (int i = 0; i < BATCH; i++) {
      r->msgs[i].msg_hdr.msg_controllen = sizeof r->ctl[i].buf;
      r->msgs[i].msg_hdr.msg_flags = 0;
      r->msgs[i].msg_len = 0;
    }
    int n = recvmmsg(r->fd, r->msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (n <= 0) return; /* EAGAIN, or a pending socket error (ICMP) that this call consumed */
    int64_t now_mono = 0;
    for (int i = 0; i < n; i++) {
      if (!r->counting) continue;
      int64_t arrival = -1;
      struct msghdr *m = &r->msgs[i].msg_hdr;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arrival = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - r->rt_minus_mono_ns;
          r->ts_kernel++;
        }
      }
      if (arrival < 0) arrival = now_mono ? now_mono : (now_mono = ns_of(CLOCK_MONOTONIC));
      account(r, r->hdr[i], r->msgs[i].msg_len, arrival);
    }
    if (n < BATCH) return;
  }
}

#ifndef HOSTOPS_FUZZ /* native/fuzz/fuzz_sock.c drives account() and drain() without N-API */
static void on_readable(uv_poll_t *h, int status, int events) {
  udprx *r = h->data;
  if (r->closing) return;
  drain(r);
  /* libuv stops a poll handle on POLLERR (e.g. ICMP port unreachable); the read consumed it */
  if (status < 0 && !r->closing) uv_poll_start(&r->poll, UV_READABLE, on_readable);
}

static void on_closed(uv_handle_t *h) {
  udprx *r = h->data;
  close(r->fd);
  free(r);
}

static void do_close(udprx *r) {
  if (r->closing) return;
  r->closing = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  holder *hd = data;
  if (hd->r) do_close(hd->r);
  free(hd);
}

static udprx *get_rx(napi_env env, napi_value v) {
  holder *hd = NULL;
  if (napi_get_value_external(env, v, (void **)&hd) != napi_ok || !hd || !hd->r || hd->r->closing) {
    napi_throw_error(env, "ECLOSED", "UDP receiver is closed");
    return NULL;
  }
  return hd->r;
}

/* udpRxOpen(fd, udp64) -> handle. Works on a dup of fd; the caller stops Node reading the socket. */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 2 || !sock_fd_arg(env, argv[0], SOCK_DGRAM, &fd)) return NULL;
  bool udp64;
  if (napi_get_value_bool(env, argv[1], &udp64) != napi_ok) { napi_throw_type_error(env, "EINVAL", "udp64 must be a boolean"); return NULL; }
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) return sock_throw(env, errno, "setsockopt SO_TIMESTAMPNS");
  int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dfd < 0) return sock_throw(env, errno, "dup");
  udprx *r = calloc(1, sizeof *r);
  if (!r) { close(dfd); return sock_throw(env, ENOMEM, "calloc"); }
  r->fd = dfd;
  r->udp64 = udp64;
  r->rt_minus_mono_ns = ns_of(CLOCK_REALTIME) - ns_of(CLOCK_MONOTONIC);
  udprx_init_batch(r);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init_socket(loop, &r->poll, dfd) != 0) {
    close(dfd);
    free(r);
    napi_throw_error(env, "EIO", "uv_poll_init_socket failed");
    return NULL;
  }
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t *)&r->poll); /* the Node socket keeps the loop alive, not this */
  holder *hd = malloc(sizeof *hd);
  napi_value ext;
  if (hd) hd->r = r;
  if (!hd || napi_create_external(env, hd, finalize, NULL, &ext) != napi_ok) {
    do_close(r); /* frees r and closes the dup once libuv lets go of the handle */
    free(hd);
    return sock_throw(env, ENOMEM, "UDP receiver handle");
  }
  return ext;
}

/* udpRxCounting(h, on): datagrams are drained either way, counted only while on (TEST_RUNNING). */
static napi_value Counting(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udprx *r = argc >= 2 ? get_rx(env, argv[0]) : NULL;
  if (!r) return NULL;
  bool on;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok) { napi_throw_type_error(env, "EINVAL", "on must be a boolean"); return NULL; }
  if (!on) drain(r); /* count what the kernel already holds before the counters freeze */
  r->counting = on;
  return NULL;
}

/* udpRxRead(h, out: Float64Array(8)): bytes, packets, errors, out-of-order, jitter s, datagrams,
 * datagrams with kernel timestamps. Drains first, so the figures are current. */
static napi_value Read(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udprx *r = argc >= 2 ? get_rx(env, argv[0]) : NULL;
  if (!r) return NULL;
  napi_typedarray_type t;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &t, &len, &data, NULL, NULL) != napi_ok || t != napi_float64_array || len < 8) {
    napi_throw_type_error(env, "EINVAL", "udpRxRead needs a Float64Array of at least 8");
    return NULL;
  }
  if (r->counting) drain(r);
  double *d = data;
  d[0] = r->bytes; d[1] = (double)r->packets; d[2] = (double)r->errors; d[3] = (double)r->ooo;
  d[4] = r->jitter; d[5] = r->datagrams; d[6] = r->ts_kernel; d[7] = 0;
  return NULL;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  holder *hd = NULL;
  if (argc >= 1 && napi_get_value_external(env, argv[0], (void **)&hd) == napi_ok && hd && hd->r) {
    do_close(hd->r);
    hd->r = NULL;
  }
  return NULL;
}

napi_value udp_rx_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "udpRxOpen", NULL, Open, NULL, NULL, NULL, napi_default, NULL },
    { "udpRxCounting", NULL, Counting, NULL, NULL, NULL, napi_default, NULL },
    { "udpRxRead", NULL, Read, NULL, NULL, NULL, napi_default, NULL },
    { "udpRxClose", NULL, Close, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
#endif /* HOSTOPS_FUZZ */
