/* Socket options on TCP sockets: buffer sizes (-w), congestion control (-C), TCP_INFO for the
 * Retr / Cwnd / RTT columns, and TCP_MAXSEG for iperf3's default UDP datagram size; the IP TOS
 * byte (-S / --dscp) on TCP and UDP sockets. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/tcp.h>

#include "sock.h"

#define TCP_CA_NAME_MAX 16 /* include/net/tcp.h, not exported to user space */

napi_value sock_throw(napi_env env, int e, const char *what) {
  char msg[300];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  const char *name = e == EPERM ? "EPERM" : e == EACCES ? "EACCES" : e == ENOENT ? "ENOENT" : e == EINVAL ? "EINVAL"
                   : e == EBADF ? "EBADF" : e == ENOTSOCK ? "ENOTSOCK" : e == ENOPROTOOPT ? "ENOPROTOOPT"
                   : e == ENOBUFS ? "ENOBUFS" : e == EBUSY ? "EBUSY" : e == EAFNOSUPPORT ? "EAFNOSUPPORT"
                   : e == ENODEV ? "ENODEV" : "EIO";
  return hostops_throw(env, name, e, msg);
}

int sock_fd_arg(napi_env env, napi_value v, int want_type, int *fd) {
  int32_t n;
  if (napi_get_value_int32(env, v, &n) != napi_ok || n < 0) {
    napi_throw_type_error(env, "EINVAL", "fd must be a non-negative integer");
    return 0;
  }
  struct stat st;
  if (fstat(n, &st) != 0) { sock_throw(env, errno, "fstat"); return 0; }
  if (!S_ISSOCK(st.st_mode)) { sock_throw(env, ENOTSOCK, "fd"); return 0; }
  if (want_type) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(n, SOL_SOCKET, SO_TYPE, &type, &len) != 0) { sock_throw(env, errno, "SO_TYPE"); return 0; }
    if (type != want_type) {
      napi_throw_type_error(env, "EINVAL", want_type == SOCK_STREAM ? "fd is not a TCP socket" : "fd is not a UDP socket");
      return 0;
    }
  }
  *fd = n;
  return 1;
}

static napi_value num(napi_env env, double d) {
  napi_value r;
  napi_create_double(env, d, &r);
  return r;
}

/* [sndbuf, rcvbuf] of fd as the kernel reports them; with strict a failed getsockopt throws
 * (NULL returned), otherwise it reads as 0. */
static napi_value buffer_sizes(napi_env env, int fd, int strict) {
  int snd = 0, rcv = 0;
  socklen_t len = sizeof snd;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &len) != 0 && strict) return sock_throw(env, errno, "getsockopt SO_SNDBUF");
  len = sizeof rcv;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len) != 0 && strict) return sock_throw(env, errno, "getsockopt SO_RCVBUF");
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  napi_set_element(env, arr, 0, num(env, snd));
  napi_set_element(env, arr, 1, num(env, rcv));
  return arr;
}

/* setBuffers(fd, bytes) -> [sndbuf, rcvbuf] as the kernel reports them afterwards (it doubles the
 * request and caps it at net.core.wmem_max / rmem_max). */
static napi_value SetBuffers(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 2 || !sock_fd_arg(env, argv[0], 0, &fd)) return NULL;
  int64_t size;
  if (napi_get_value_int64(env, argv[1], &size) != napi_ok || size < 1 || size > 512 * 1024 * 1024) {
    napi_throw_range_error(env, "EINVAL", "buffer size must be 1..512 MiB");
    return NULL;
  }
  int v = (int)size;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) != 0) return sock_throw(env, errno, "setsockopt SO_SNDBUF");
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0) return sock_throw(env, errno, "setsockopt SO_RCVBUF");
  return buffer_sizes(env, fd, 0);
}

/* getBuffers(fd) -> [sndbuf, rcvbuf] */
static napi_value GetBuffers(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 1 || !sock_fd_arg(env, argv[0], 0, &fd)) return NULL;
  return buffer_sizes(env, fd, 1);
}

/* A congestion control name from JS, checked (1..15 of [A-Za-z0-9_-]) before the kernel sees it. */
static int cc_name_arg(napi_env env, napi_value v, char *name, size_t cap, size_t *n) {
  if (napi_get_value_string_latin1(env, v, name, cap, n) != napi_ok || *n == 0 || *n >= TCP_CA_NAME_MAX) {
    napi_throw_range_error(env, "EINVAL", "congestion control name must be 1..15 characters");
    return 0;
  }
  for (size_t i = 0; i < *n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      napi_throw_range_error(env, "EINVAL", "congestion control name may only hold letters, digits, '_' and '-'");
      return 0;
    }
  }
  return 1;
}

/* setCongestion(fd, name); ENOENT from the kernel means the algorithm is not available, EPERM
 * that it is not in net.ipv4.tcp_allowed_congestion_control for an unprivileged process. */
static napi_value SetCongestion(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 2 || !sock_fd_arg(env, argv[0], SOCK_STREAM, &fd)) return NULL;
  char name[TCP_CA_NAME_MAX + 1];
  size_t n = 0;
  if (!cc_name_arg(env, argv[1], name, sizeof name, &n)) return NULL;
  if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)n) != 0) return sock_throw(env, errno, "setsockopt TCP_CONGESTION");
  return NULL;
}

/* probeTcp(bytes, name|null) -> [sndbuf, rcvbuf]: the same options on a scratch TCP socket, so a
 * client can refuse -w / -C before it contacts the server. */
static napi_value ProbeTcp(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t size = 0;
  if (argc < 2 || napi_get_value_int64(env, argv[0], &size) != napi_ok || size < 0 || size > 512 * 1024 * 1024) {
    napi_throw_range_error(env, "EINVAL", "buffer size must be 0..512 MiB");
    return NULL;
  }
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  char name[TCP_CA_NAME_MAX + 1];
  size_t n = 0;
  if (t != napi_null && t != napi_undefined && !cc_name_arg(env, argv[1], name, sizeof name, &n)) return NULL;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sock_throw(env, errno, "socket");
  int v = (int)size;
  if (size > 0 && (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) != 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0)) {
    int e = errno;
    close(fd);
    return sock_throw(env, e, "setsockopt SO_SNDBUF/SO_RCVBUF");
  }
  if (n > 0 && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)n) != 0) {
    int e = errno;
    close(fd);
    return sock_throw(env, e, "setsockopt TCP_CONGESTION");
  }
  napi_value sizes = buffer_sizes(env, fd, 0);
  close(fd);
  return sizes;
}

/* getCongestion(fd) -> name */
static napi_value GetCongestion(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 1 || !sock_fd_arg(env, argv[0], SOCK_STREAM, &fd)) return NULL;
  char name[TCP_CA_NAME_MAX + 1] = "";
  socklen_t len = TCP_CA_NAME_MAX;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) != 0) return sock_throw(env, errno, "getsockopt TCP_CONGESTION");
  name[len < TCP_CA_NAME_MAX ? len : TCP_CA_NAME_MAX] = 0;
  napi_value r;
  CHECK(napi_create_string_latin1(env, name, strnlen(name, TCP_CA_NAME_MAX), &r));
  return r;
}

/* getMss(fd) -> TCP_MAXSEG of a connected socket */
static napi_value GetMss(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 1 || !sock_fd_arg(env, argv[0], SOCK_STREAM, &fd)) return NULL;
  int mss = 0;
  socklen_t len = sizeof mss;
  if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) != 0) return sock_throw(env, errno, "getsockopt TCP_MAXSEG");
  return num(env, mss);
}

/* setTos(fd, tos): the IP TOS byte (DSCP << 2 | ECN) on what the socket sends, TCP or UDP:
 * IP_TOS on IPv4, IPV6_TCLASS on IPv6 (and IP_TOS too, for IPv4-mapped peers of a dual-stack
 * socket), as iperf3 -S / --dscp. Returns the value the kernel reports afterwards. */
static napi_value SetTos(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 2 || !sock_fd_arg(env, argv[0], 0, &fd)) return NULL;
  int32_t tos;
  if (napi_get_value_int32(env, argv[1], &tos) != napi_ok || tos < 0 || tos > 255) {
    napi_throw_range_error(env, "EINVAL", "TOS must be 0..255");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) return sock_throw(env, errno, "getsockname");
  int got = 0;
  socklen_t gl = sizeof got;
  if (ss.ss_family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos) != 0) return sock_throw(env, errno, "setsockopt IPV6_TCLASS");
    (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos); /* refused on IPv6-only sockets: nothing to mark then */
    if (getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &got, &gl) != 0) return sock_throw(env, errno, "getsockopt IPV6_TCLASS");
  } else if (ss.ss_family == AF_INET) {
    if (setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0) return sock_throw(env, errno, "setsockopt IP_TOS");
    if (getsockopt(fd, IPPROTO_IP, IP_TOS, &got, &gl) != 0) return sock_throw(env, errno, "getsockopt IP_TOS");
  } else {
    return sock_throw(env, EAFNOSUPPORT, "setTos: not an IP socket");
  }
  return num(env, got);
}

/* tcpInfo(fd, out: Float64Array(8)) fills total_retrans, cwnd bytes (snd_cwnd × snd_mss, as
 * iperf3), snd_wnd, rtt µs, rttvar µs, pmtu, snd_mss, state; returns false when unavailable. */
static napi_value TcpInfo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 2 || !sock_fd_arg(env, argv[0], SOCK_STREAM, &fd)) return NULL;
  napi_typedarray_type t;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &t, &len, &data, NULL, NULL) != napi_ok || t != napi_float64_array || len < 8) {
    napi_throw_type_error(env, "EINVAL", "tcpInfo needs a Float64Array of at least 8");
    return NULL;
  }
  struct tcp_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t tl = sizeof ti;
  napi_value r;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0) { napi_get_boolean(env, false, &r); return r; }
  double *d = data;
  d[0] = ti.tcpi_total_retrans;
  d[1] = (double)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
  /* tcpi_snd_wnd exists since Linux 5.19; older kernels return a shorter struct */
  d[2] = tl >= offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof ti.tcpi_snd_wnd ? ti.tcpi_snd_wnd : 0;
  d[3] = ti.tcpi_rtt;
  d[4] = ti.tcpi_rttvar;
  d[5] = ti.tcpi_pmtu;
  d[6] = ti.tcpi_snd_mss;
  d[7] = ti.tcpi_state;
  napi_get_boolean(env, true, &r);
  return r;
}

/* tcpSocket(family) -> fd: an unconnected non-blocking TCP socket, so options that must precede
 * connect() (SO_BINDTODEVICE, SO_MARK: the SYN's route) can be set before Node connects it. */
static napi_value TcpSocket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family = 4;
  if (argc > 0) napi_get_value_int32(env, argv[0], &family);
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sock_throw(env, errno, "socket(SOCK_STREAM)");
  return num(env, fd);
}

/* bindDevice(fd, device|'', mark) -- SO_MARK when mark >= 0, SO_BINDTODEVICE when a device is
 * named (iperf3 --bind-dev); the message names the device or mark. */
static napi_value BindDevice(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fd;
  if (argc < 3 || !sock_fd_arg(env, argv[0], 0, &fd)) {
    if (argc < 3) napi_throw_type_error(env, "EINVAL", "bindDevice(fd, device, mark)");
    return NULL;
  }
  char dev[32];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[1], dev, sizeof dev, &n) != napi_ok || n >= 16) {
    napi_throw_type_error(env, "EINVAL", "device must be an interface name of at most 15 characters");
    return NULL;
  }
  int64_t mark = -1;
  napi_get_value_int64(env, argv[2], &mark);
  char what[80];
  if (mark >= 0 && mark <= 0xffffffffLL) {
    uint32_t m = (uint32_t)mark;
    snprintf(what, sizeof what, "setsockopt SO_MARK %u", m);
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m) != 0) return sock_throw(env, errno, what);
  }
  if (n > 0) {
    snprintf(what, sizeof what, "SO_BINDTODEVICE %s", dev);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)n + 1) != 0) return sock_throw(env, errno, what);
  }
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "setBuffers", NULL, SetBuffers, NULL, NULL, NULL, napi_default, NULL },
    { "getBuffers", NULL, GetBuffers, NULL, NULL, NULL, napi_default, NULL },
    { "setCongestion", NULL, SetCongestion, NULL, NULL, NULL, napi_default, NULL },
    { "getCongestion", NULL, GetCongestion, NULL, NULL, NULL, napi_default, NULL },
    { "probeTcp", NULL, ProbeTcp, NULL, NULL, NULL, napi_default, NULL },
    { "getMss", NULL, GetMss, NULL, NULL, NULL, napi_default, NULL },
    { "tcpInfo", NULL, TcpInfo, NULL, NULL, NULL, napi_default, NULL },
    { "setTos", NULL, SetTos, NULL, NULL, NULL, napi_default, NULL },
    { "tcpSocket", NULL, TcpSocket, NULL, NULL, NULL, napi_default, NULL },
    { "bindDevice", NULL, BindDevice, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return udp_rx_init(env, exports);
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
