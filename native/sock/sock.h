/* hostops_sock: socket options Node does not expose (SO_SNDBUF/SO_RCVBUF and TCP_CONGESTION on
 * TCP sockets, TCP_INFO, TCP_MAXSEG, IP_TOS / IPV6_TCLASS) and a native UDP receive path for iperf3 data streams.
 * Every call takes a file descriptor that JS read from a Node socket handle. */
#ifndef HOSTOPS_SOCK_H
#define HOSTOPS_SOCK_H
#include <node_api.h>
#include "hostops_napi.h" /* CHECK, hostops_throw */

/* Throws an Error whose code is the errno name (ENOENT, EPERM ...) and whose errno is set. */
napi_value sock_throw(napi_env env, int err, const char *what);
/* Reads argv[i] as an fd of an open socket of the given SOCK_* type (0 = any); throws otherwise. */
int sock_fd_arg(napi_env env, napi_value v, int want_type, int *fd);

napi_value udp_rx_init(napi_env env, napi_value exports);
#endif
