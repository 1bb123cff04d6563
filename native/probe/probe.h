/* hostops_probe: shared declarations between the socket layer (sock.c, parse.c) and the N-API glue. */
#ifndef HOSTOPS_PROBE_H
#define HOSTOPS_PROBE_H

#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

enum probe_kind { PK_ICMP_RAW = 1, PK_ICMP_DGRAM = 2, PK_UDP = 3, PK_TCP_RAW = 4 };

/* Event kinds delivered to JS. */
enum ev_kind { EV_ECHO = 1, EV_ERROR = 2, EV_TCP = 3, EV_TX = 4 };

#define TX_RING 4096
/* label stack entries kept per reply (mtr keeps 8 too) */
#define MPLS_MAX 8

/* One received packet, decoded. Numbers land in a Float64Array slot (see EV_* offsets in addon.c). */
typedef struct {
  int kind;
  double t_ns;           /* kernel receive time, ns since clock base (CLOCK_REALTIME) */
  int ttl;               /* received TTL / hop limit, -1 unknown */
  int type, code;        /* ICMP type/code (errors and echo replies) */
  int id;                /* echo id (reply or quoted request) */
  double key;            /* probe key: echo seq, UDP payload key, TCP seq */
  int len;               /* ICMP message length (header + data) for echo replies */
  int cookie_ok;         /* payload carried this socket's cookie */
  int inner_proto;       /* protocol of the quoted packet (errors) */
  int inner_sport, inner_dport;
  int tcp_flags;
  int sport, dport;      /* ports of a TCP reply */
  int err_no;            /* errqueue ee_errno, 0 otherwise */
  struct sockaddr_storage from;       /* sender (offender for errors) */
  struct sockaddr_storage inner_dst;  /* destination of the quoted probe, family 0 if unknown */
  int mpls_n;            /* RFC 4950 label stack entries in an RFC 4884 extension (errors), 0 if none */
  uint32_t mpls[MPLS_MAX]; /* each entry as sent: label<<12 | TC<<9 | S<<8 | TTL */
} probe_event;

/* Called for every decoded packet. */
typedef void (*event_fn)(void *ctx, const probe_event *ev);

typedef struct {
  int fd;
  int kind;
  int family;
  uint8_t cookie[8];
  int cur_ttl, cur_tos;
  int echo_id;           /* for dgram ICMP: the id the kernel assigns (local port) */
  int tx_ts;             /* kernel software TX timestamps requested (SO_TIMESTAMPING, OPT_ID) */
  uint32_t tx_count;     /* mirrors the kernel's per-socket OPT_ID counter */
  uint32_t tx_tag[TX_RING]; /* caller's tag for each OPT_ID value */
  uint32_t cur_tag;
  int has_src;           /* bound to a chosen source address (feeds: -I addr, -s, -a) */
  struct sockaddr_storage src;
  char device[16];       /* SO_BINDTODEVICE, '' none */
  int has_mark;          /* SO_MARK set: route lookups of this socket carry the fwmark */
  uint32_t mark;
} probe_sock;

/* How a probe socket leaves the host: source address, interface, fwmark (all optional). */
typedef struct {
  const char *source;    /* numeric address of the socket's family, NULL or '' none */
  const char *device;    /* interface name, NULL or '' none */
  int has_mark;
  uint32_t mark;
} probe_bind;

extern int64_t probe_clock_base;
double probe_now_ns(void);

int probe_open(probe_sock *s, int kind, int family, const uint8_t cookie[8], const probe_bind *b, char *err, size_t errlen);
/* Drain normal queue and error queue; returns number of events. */
int probe_drain(probe_sock *s, event_fn fn, void *ctx);

int parse_addr(const char *str, int family, int port, struct sockaddr_storage *ss, socklen_t *len);
int set_ttl_tos(probe_sock *s, int ttl, int tos);
/* The source address the kernel picks towards dst with s's source/interface/fwmark. */
int probe_source_for(const probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, struct sockaddr_storage *src);
int probe_enable_tx(probe_sock *s);

/* Senders return 0 and the send time in *t_ns, or -errno. */
int send_echo(probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, int id, int seq, int size, double *t_ns);
int send_udp(probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, uint32_t key, int size, double *t_ns);
int send_tcp_syn(probe_sock *s, const struct sockaddr_storage *dst, socklen_t dlen, int sport, uint32_t seq, double *t_ns);

/* parse.c */
void parse_icmp4_raw(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev);
void parse_icmp6_raw(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev);
void parse_tcp_reply(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev);
void parse_icmp_dgram(probe_sock *s, const uint8_t *buf, size_t n, probe_event *ev);
uint16_t inet_cksum(const void *data, size_t len, uint32_t sum);
/* RFC 4884/4950: the MPLS label stack in the extension of an ICMP error message (icmp, n bytes). */
void parse_icmp_ext(const uint8_t *icmp, size_t n, int v6, probe_event *ev);
void parse_ext_struct(const uint8_t *x, size_t n, probe_event *ev);

#endif
