/* hostops_probe: N-API glue. A probe socket is an external handle; the socket fd is watched by a
 * uv_poll on Node's own loop (no threads, no busy polling). Each wakeup drains the socket and calls
 * the JS callback once with a batch: numbers in a caller-provided Float64Array (EV_STRIDE slots per
 * event) and the addresses as strings. Only src/net/probe-socket.ts uses this module. */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "hostops_napi.h"
#include "probe.h"

#define EV_STRIDE 25 /* 16 numbers, the MPLS entry count and up to MPLS_MAX entries */

typedef struct {
  probe_sock s;
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_ref buf_ref;
  napi_async_context actx;
  double *slots;
  size_t cap;      /* events that fit in the Float64Array */
  size_t count;    /* events in the current batch */
  napi_value addrs;
  int closing;
  int in_cb;
} psock;

static napi_value throw_errno(napi_env env, int e, const char *msg) {
  char full[400];
  snprintf(full, sizeof full, "%s", msg);
  const char *name = e == EPERM ? "EPERM" : e == EACCES ? "EACCES" : e == EPROTONOSUPPORT ? "EPROTONOSUPPORT"
                   : e == EAFNOSUPPORT ? "EAFNOSUPPORT" : e == EINVAL ? "EINVAL" : e == ENODEV ? "ENODEV"
                   : e == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "EIO";
  return hostops_throw(env, name, e, full);
}

static napi_value addr_string(napi_env env, const struct sockaddr_storage *ss) {
  char s[INET6_ADDRSTRLEN] = "";
  if (ss->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, s, sizeof s);
  else if (ss->ss_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, s, sizeof s);
  napi_value v;
  napi_create_string_latin1(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static void flush(psock *p) {
  napi_env env = p->env;
  if (!p->count) return;
  napi_value cb, recv, argv[2];
  napi_get_reference_value(env, p->cb, &cb);
  napi_get_global(env, &recv);
  napi_create_uint32(env, (uint32_t)p->count, &argv[0]);
  argv[1] = p->addrs;
  p->count = 0;
  p->in_cb = 1;
  napi_value result;
  napi_make_callback(env, p->actx, recv, cb, 2, argv, &result);
  p->in_cb = 0;
  /* closed from inside the callback: its async context was kept for the call, destroy it now */
  if (p->closing && p->actx) { napi_async_destroy(env, p->actx); p->actx = NULL; }
  napi_create_array(env, &p->addrs);
}

static void on_event(void *ctx, const probe_event *ev) {
  psock *p = ctx;
  if (p->closing) return;
  if (p->count == p->cap) flush(p);
  if (p->closing) return;
  double *d = p->slots + p->count * EV_STRIDE;
  d[0] = ev->kind; d[1] = ev->t_ns; d[2] = ev->ttl; d[3] = ev->type; d[4] = ev->code; d[5] = ev->id;
  d[6] = ev->key; d[7] = ev->len; d[8] = ev->cookie_ok; d[9] = ev->inner_proto; d[10] = ev->inner_sport;
  d[11] = ev->inner_dport; d[12] = ev->tcp_flags; d[13] = ev->sport; d[14] = ev->dport; d[15] = ev->err_no;
  d[16] = ev->mpls_n;
  for (int k = 0; k < ev->mpls_n; k++) d[17 + k] = ev->mpls[k];
  napi_set_element(p->env, p->addrs, (uint32_t)(p->count * 2), addr_string(p->env, &ev->from));
  if (ev->inner_dst.ss_family) /* left as a hole (undefined) when there is no quoted packet */
    napi_set_element(p->env, p->addrs, (uint32_t)(p->count * 2 + 1), addr_string(p->env, &ev->inner_dst));
  p->count++;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  psock *p = h->data;
  if (p->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(p->env, &scope);
  napi_create_array(p->env, &p->addrs);
  p->count = 0;
  probe_drain(&p->s, on_event, p);
  if (!p->closing) flush(p);
  napi_close_handle_scope(p->env, scope);
  /* libuv stops a poll handle on POLLERR (pending error queue); we drained it, so watch again */
  if (status < 0 && !p->closing) uv_poll_start(&p->poll, UV_READABLE, on_readable);
}

static void on_closed(uv_handle_t *h) {
  psock *p = h->data;
  close(p->s.fd);
  free(p);
}

static void do_close(psock *p) {
  if (p->closing) return;
  p->closing = 1;
  napi_delete_reference(p->env, p->cb);
  napi_delete_reference(p->env, p->buf_ref);
  /* not while napi_make_callback is running on it (close() from the event callback) */
  if (!p->in_cb) { napi_async_destroy(p->env, p->actx); p->actx = NULL; }
  uv_poll_stop(&p->poll);
  uv_close((uv_handle_t *)&p->poll, on_closed);
}

typedef struct { psock *p; } holder;

static void finalize(napi_env env, void *data, void *hint) {
  holder *hd = data;
  if (hd->p) do_close(hd->p);
  free(hd);
}

static psock *get_sock(napi_env env, napi_value v) {
  holder *hd = NULL;
  if (napi_get_value_external(env, v, (void **)&hd) != napi_ok || !hd || !hd->p || hd->p->closing) {
    napi_throw_error(env, "ECLOSED", "probe socket is closed");
    return NULL;
  }
  return hd->p;
}

/* A string argument into buf ('' when absent, undefined or null); 0 when it is not a short string. */
static int opt_string(napi_env env, size_t argc, napi_value *argv, size_t at, char *buf, size_t cap) {
  buf[0] = 0;
  if (argc <= at) return 1;
  napi_valuetype t;
  if (napi_typeof(env, argv[at], &t) != napi_ok) return 0;
  if (t == napi_undefined || t == napi_null) return 1;
  size_t n;
  if (t != napi_string || napi_get_value_string_utf8(env, argv[at], buf, cap, &n) != napi_ok || n + 1 >= cap) return 0;
  return 1;
}

/* open(kind, family, cookie: Buffer(8), slots: Float64Array, callback, flags[, source, device, mark]) -> handle
 * flags bit 0: kernel TX timestamps (events of kind EV_TX carry the send's tag as key)
 * source: numeric address to bind, device: SO_BINDTODEVICE, mark: SO_MARK (< 0 or absent: none) */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t kind, family;
  CHECK(napi_get_value_int32(env, argv[0], &kind));
  CHECK(napi_get_value_int32(env, argv[1], &family));
  void *cookie;
  size_t clen;
  if (napi_get_buffer_info(env, argv[2], &cookie, &clen) != napi_ok || clen != 8) {
    napi_throw_type_error(env, NULL, "cookie must be an 8-byte Buffer");
    return NULL;
  }
  napi_typedarray_type tt;
  size_t alen;
  void *adata;
  napi_value ab;
  size_t aoff;
  if (napi_get_typedarray_info(env, argv[3], &tt, &alen, &adata, &ab, &aoff) != napi_ok || tt != napi_float64_array ||
      alen < EV_STRIDE) {
    napi_throw_type_error(env, NULL, "slots must be a Float64Array of at least 25 elements (one event)");
    return NULL;
  }
  psock *p = calloc(1, sizeof *p);
  holder *hd = malloc(sizeof *hd);
  if (!p || !hd) { free(p); free(hd); return throw_errno(env, ENOMEM, "out of memory opening a probe socket"); }
  char src[64], dev[64];
  if (!opt_string(env, argc, argv, 6, src, sizeof src) || !opt_string(env, argc, argv, 7, dev, sizeof dev)) {
    free(p);
    free(hd);
    napi_throw_type_error(env, "EINVAL", "source and device must be short strings");
    return NULL;
  }
  int64_t mark = -1;
  if (argc > 8) napi_get_value_int64(env, argv[8], &mark);
  probe_bind b = { src, dev, mark >= 0 && mark <= 0xffffffffLL, (uint32_t)(mark < 0 ? 0 : mark) };
  char err[300];
  int r = probe_open(&p->s, kind, family, cookie, &b, err, sizeof err);
  if (r < 0) {
    free(p);
    free(hd);
    return throw_errno(env, -r, err);
  }
  int32_t flags = 0;
  if (argc > 5) napi_get_value_int32(env, argv[5], &flags);
  if (flags & 1) probe_enable_tx(&p->s); /* best effort: without it the user-space send time is used */
  p->env = env;
  p->slots = adata;
  p->cap = alen / EV_STRIDE;
  napi_value res_name, resource;
  uv_loop_t *loop;
  int ok = napi_create_reference(env, argv[4], 1, &p->cb) == napi_ok &&
           napi_create_reference(env, argv[3], 1, &p->buf_ref) == napi_ok &&
           napi_create_string_utf8(env, "hostops_probe", NAPI_AUTO_LENGTH, &res_name) == napi_ok &&
           napi_create_object(env, &resource) == napi_ok &&
           napi_async_init(env, resource, res_name, &p->actx) == napi_ok &&
           napi_get_uv_event_loop(env, &loop) == napi_ok && uv_poll_init_socket(loop, &p->poll, p->s.fd) == 0;
  if (!ok) { /* nothing is watching the socket yet: undo by hand, no uv_close */
    if (p->cb) napi_delete_reference(env, p->cb);
    if (p->buf_ref) napi_delete_reference(env, p->buf_ref);
    if (p->actx) napi_async_destroy(env, p->actx);
    close(p->s.fd);
    free(p);
    free(hd);
    return throw_errno(env, EIO, "cannot watch the probe socket on the event loop");
  }
  p->poll.data = p;
  uv_poll_start(&p->poll, UV_READABLE, on_readable);
  hd->p = p;
  napi_value ext;
  if (napi_create_external(env, hd, finalize, NULL, &ext) != napi_ok) {
    do_close(p);
    free(hd);
    return throw_errno(env, EIO, "cannot create the probe socket handle");
  }
  return ext;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  holder *hd = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&hd) == napi_ok && hd && hd->p) {
    do_close(hd->p);
    hd->p = NULL;
  }
  return NULL;
}

static napi_value Ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  psock *p = get_sock(env, argv[0]);
  if (!p) return NULL;
  bool ref;
  CHECK(napi_get_value_bool(env, argv[1], &ref));
  if (ref) uv_ref((uv_handle_t *)&p->poll); else uv_unref((uv_handle_t *)&p->poll);
  return NULL;
}

static napi_value ret_double(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

/* Common prologue of the senders: handle, address string, port, ttl, tos. */
static psock *send_args(napi_env env, napi_value *argv, int port_index, struct sockaddr_storage *ss, socklen_t *slen,
                        int *ttl, int *tos) {
  psock *p = get_sock(env, argv[0]);
  if (!p) return NULL;
  char addr[64];
  size_t n;
  if (napi_get_value_string_latin1(env, argv[1], addr, sizeof addr, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "address must be a string");
    return NULL;
  }
  int32_t port = 0;
  if (port_index >= 0) napi_get_value_int32(env, argv[port_index], &port);
  if (parse_addr(addr, p->s.family, port, ss, slen) < 0) {
    napi_throw_type_error(env, "EINVAL", "not a numeric address of the socket's family");
    return NULL;
  }
  napi_get_value_int32(env, argv[2 + (port_index >= 0)], ttl);
  napi_get_value_int32(env, argv[3 + (port_index >= 0)], tos);
  return p;
}

static void take_tag(napi_env env, psock *p, size_t argc, napi_value *argv, size_t at) {
  uint32_t tag = 0;
  if (argc > at) napi_get_value_uint32(env, argv[at], &tag);
  p->s.cur_tag = tag;
}

enum { SEND_ECHO, SEND_UDP, SEND_TCP };

/* The three senders share their arguments but for the probe's own fields (x, y, z below) and
 * whether there is a port:
 *   sendEcho(h, addr, ttl, tos, id, seq, size, tag)
 *   sendUdp(h, addr, port, ttl, tos, key, size, tag)
 *   sendTcpSyn(h, addr, dport, ttl, tos, sport, seq, tag)
 * each -> send time ns, or -errno */
static napi_value send_probe(napi_env env, napi_callback_info info, int kind) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct sockaddr_storage ss;
  socklen_t slen;
  int ttl, tos;
  int has_port = kind != SEND_ECHO;
  psock *p = send_args(env, argv, has_port ? 2 : -1, &ss, &slen, &ttl, &tos);
  if (!p) return NULL;
  uint32_t x = 0, y = 0, z = 0;
  napi_get_value_uint32(env, argv[4 + has_port], &x);
  napi_get_value_uint32(env, argv[5 + has_port], &y);
  if (!has_port) napi_get_value_uint32(env, argv[6], &z);
  take_tag(env, p, argc, argv, 7);
  int r = set_ttl_tos(&p->s, ttl, tos);
  if (r < 0) return ret_double(env, r);
  double t;
  if (kind == SEND_ECHO) r = send_echo(&p->s, &ss, slen, x & 0xffff, y & 0xffff, (int32_t)z, &t);
  else if (kind == SEND_UDP) r = send_udp(&p->s, &ss, slen, x, (int32_t)y, &t);
  else r = send_tcp_syn(&p->s, &ss, slen, (int32_t)x & 0xffff, y, &t);
  return ret_double(env, r < 0 ? r : t);
}

static napi_value SendEcho(napi_env env, napi_callback_info info) { return send_probe(env, info, SEND_ECHO); }
static napi_value SendUdp(napi_env env, napi_callback_info info) { return send_probe(env, info, SEND_UDP); }
static napi_value SendTcp(napi_env env, napi_callback_info info) { return send_probe(env, info, SEND_TCP); }

/* localId(h): echo id of a ping socket / source port of a UDP socket (0 for raw sockets) */
static napi_value LocalId(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  psock *p = get_sock(env, argv[0]);
  if (!p) return NULL;
  napi_value r;
  napi_create_int32(env, p->s.echo_id, &r);
  return r;
}

/* sourceFor(family, dst, source, device, mark) -> the source address the kernel picks towards dst
 * for a socket with that binding (iputils ping prints it after -I), or throws with the errno. */
static napi_value SourceFor(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family = 4;
  napi_get_value_int32(env, argv[0], &family);
  char dst[64], src[64], dev[64];
  if (!opt_string(env, argc, argv, 1, dst, sizeof dst) || !opt_string(env, argc, argv, 2, src, sizeof src) ||
      !opt_string(env, argc, argv, 3, dev, sizeof dev)) {
    napi_throw_type_error(env, "EINVAL", "addresses and device must be short strings");
    return NULL;
  }
  probe_sock s;
  memset(&s, 0, sizeof s);
  s.family = family == 6 ? 6 : 4;
  if (src[0] && parse_addr(src, s.family, 0, &s.src, &(socklen_t){0}) == 0) s.has_src = 1;
  if (strlen(dev) >= sizeof s.device) return throw_errno(env, ENODEV, "SO_BINDTODEVICE: interface name too long");
  memcpy(s.device, dev, strlen(dev) + 1);
  int64_t mark = -1;
  if (argc > 4) napi_get_value_int64(env, argv[4], &mark);
  if (mark >= 0 && mark <= 0xffffffffLL) { s.has_mark = 1; s.mark = (uint32_t)mark; }
  struct sockaddr_storage d, out;
  socklen_t dlen;
  if (parse_addr(dst, s.family, 0, &d, &dlen) < 0) {
    napi_throw_type_error(env, "EINVAL", "not a numeric address of that family");
    return NULL;
  }
  int r = probe_source_for(&s, &d, dlen, &out);
  if (r < 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "route lookup towards %s: %s", dst, strerror(-r));
    return throw_errno(env, -r, msg);
  }
  return addr_string(env, &out);
}

static napi_value Now(napi_env env, napi_callback_info info) { return ret_double(env, probe_now_ns()); }

static napi_value ClockBase(napi_env env, napi_callback_info info) { return ret_double(env, (double)probe_clock_base); }

static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, "hostops_probe 1", NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value Init(napi_env env, napi_value exports) {
  if (!probe_clock_base) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    probe_clock_base = ts.tv_sec;
  }
  struct { const char *name; napi_callback fn; } fns[] = {
    { "version", Version }, { "open", Open }, { "close", Close }, { "ref", Ref }, { "sendEcho", SendEcho },
    { "sendUdp", SendUdp }, { "sendTcpSyn", SendTcp }, { "localId", LocalId }, { "now", Now },
    { "clockBase", ClockBase }, { "sourceFor", SourceFor },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
