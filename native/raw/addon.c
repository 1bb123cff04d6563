/*
 * hostops_raw: send UDP datagrams with a chosen (forged) source address through raw sockets,
 * for the BCP 38 spoof test. IPv4 uses IPPROTO_RAW (implies IP_HDRINCL); IPv6 uses
 * IPPROTO_RAW on an AF_INET6 socket (header included, Linux >= 4.5). Headers and the UDP
 * checksum are built here. Needs CAP_NET_RAW.
 *
 *   open(family 4|6) -> fd
 *   sendUdp(fd, src, dst, sport, dport, payload: Buffer, ttl?) -> bytes sent
 *   close(fd)
 */
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hostops_napi.h"

#define MAX_PAYLOAD 65000

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == ENETUNREACH ? "ENETUNREACH"
    : err == EHOSTUNREACH ? "EHOSTUNREACH" : err == EINVAL ? "EINVAL" : err == EBADF ? "EBADF" : "ERAW";
  return hostops_throw(env, code, -1, msg); /* no .errno: the code is the contract here */
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s) {
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)(p[n - 1] << 8);
  return s;
}

static uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static int get_str(napi_env env, napi_value v, char *buf, size_t len) {
  size_t n;
  return napi_get_value_string_utf8(env, v, buf, len, &n) == napi_ok && n < len - 1;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fam = 4;
  if (argc >= 1) get_int(env, argv[0], &fam);
  if (fam != 4 && fam != 6) { napi_throw_range_error(env, "EINVAL", "family must be 4 or 6"); return NULL; }
  int fd = socket(fam == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return throw_errno(env, "raw socket", errno);
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || !get_int(env, argv[0], &fd) || fd < 0) { napi_throw_type_error(env, "EINVAL", "close(fd)"); return NULL; }
  close(fd);
  return NULL;
}

static napi_value SendUdp(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, sport, dport, ttl = 64;
  char src[64], dst[64];
  if (argc < 6 || !get_int(env, argv[0], &fd) || !get_str(env, argv[1], src, sizeof src) || !get_str(env, argv[2], dst, sizeof dst)
      || !get_int(env, argv[3], &sport) || !get_int(env, argv[4], &dport)) {
    napi_throw_type_error(env, "EINVAL", "sendUdp(fd, src, dst, sport, dport, payload, ttl?)");
    return NULL;
  }
  if (argc >= 7) get_int(env, argv[6], &ttl);
  if (sport < 0 || sport > 65535 || dport < 1 || dport > 65535 || ttl < 1 || ttl > 255) {
    napi_throw_range_error(env, "EINVAL", "port or ttl out of range");
    return NULL;
  }
  bool isbuf = false;
  napi_is_buffer(env, argv[5], &isbuf);
  if (!isbuf) { napi_throw_type_error(env, "EINVAL", "payload must be a Buffer"); return NULL; }
  void *data;
  size_t plen;
  napi_get_buffer_info(env, argv[5], &data, &plen);
  if (plen > MAX_PAYLOAD) { napi_throw_range_error(env, "EINVAL", "payload too large"); return NULL; }

  static uint8_t pkt[40 + 8 + MAX_PAYLOAD];
  struct in_addr s4, d4;
  struct in6_addr s6, d6;
  ssize_t sent;
  uint16_t ulen = (uint16_t)(8 + plen);
  if (inet_pton(AF_INET, src, &s4) == 1 && inet_pton(AF_INET, dst, &d4) == 1) {
    uint8_t *ip = pkt, *udp = pkt + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    uint16_t tot = (uint16_t)(20 + ulen);
    ip[2] = tot >> 8; ip[3] = tot & 0xff;
    ip[6] = 0x40; /* DF */
    ip[8] = (uint8_t)ttl; ip[9] = IPPROTO_UDP;
    memcpy(ip + 12, &s4, 4); memcpy(ip + 16, &d4, 4);
    uint16_t hc = fold(sum16(ip, 20, 0));
    ip[10] = hc >> 8; ip[11] = hc & 0xff;
    udp[0] = sport >> 8; udp[1] = sport & 0xff; udp[2] = dport >> 8; udp[3] = dport & 0xff;
    udp[4] = ulen >> 8; udp[5] = ulen & 0xff; udp[6] = 0; udp[7] = 0;
    memcpy(udp + 8, data, plen);
    uint8_t ph[12];
    memcpy(ph, &s4, 4); memcpy(ph + 4, &d4, 4); ph[8] = 0; ph[9] = IPPROTO_UDP; ph[10] = ulen >> 8; ph[11] = ulen & 0xff;
    uint16_t c = fold(sum16(udp, ulen, sum16(ph, 12, 0)));
    if (c == 0) c = 0xffff;
    udp[6] = c >> 8; udp[7] = c & 0xff;
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = d4 };
    sent = sendto(fd, pkt, tot, 0, (struct sockaddr *)&to, sizeof to);
  } else if (inet_pton(AF_INET6, src, &s6) == 1 && inet_pton(AF_INET6, dst, &d6) == 1) {
    uint8_t *ip = pkt, *udp = pkt + 40;
    memset(ip, 0, 40);
    ip[0] = 0x60;
    ip[4] = ulen >> 8; ip[5] = ulen & 0xff;
    ip[6] = IPPROTO_UDP; ip[7] = (uint8_t)ttl;
    memcpy(ip + 8, &s6, 16); memcpy(ip + 24, &d6, 16);
    udp[0] = sport >> 8; udp[1] = sport & 0xff; udp[2] = dport >> 8; udp[3] = dport & 0xff;
    udp[4] = ulen >> 8; udp[5] = ulen & 0xff; udp[6] = 0; udp[7] = 0;
    memcpy(udp + 8, data, plen);
    uint8_t ph[40];
    memcpy(ph, &s6, 16); memcpy(ph + 16, &d6, 16);
    ph[32] = 0; ph[33] = 0; ph[34] = ulen >> 8; ph[35] = ulen & 0xff; ph[36] = 0; ph[37] = 0; ph[38] = 0; ph[39] = IPPROTO_UDP;
    uint16_t c = fold(sum16(udp, ulen, sum16(ph, 40, 0)));
    if (c == 0) c = 0xffff;
    udp[6] = c >> 8; udp[7] = c & 0xff;
    struct sockaddr_in6 to;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    to.sin6_addr = d6;
    sent = sendto(fd, pkt, 40 + ulen, 0, (struct sockaddr *)&to, sizeof to);
  } else {
    napi_throw_type_error(env, "EINVAL", "src and dst must be two IPv4 or two IPv6 addresses");
    return NULL;
  }
  if (sent < 0) return throw_errno(env, "sendto", errno);
  napi_value r;
  napi_create_int32(env, (int32_t)sent, &r);
  return r;
}

static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, "hostops_raw 1", NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    { "version", NULL, Version, NULL, NULL, NULL, napi_default, NULL },
    { "open", NULL, Open, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, Close, NULL, NULL, NULL, napi_default, NULL },
    { "sendUdp", NULL, SendUdp, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
