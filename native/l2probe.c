/* SPDX-License-Identifier: MIT
 *
 * l2probe: the host-side half of an echo test, on a plain AF_PACKET socket (no DPDK).
 * Sends UDP/IPv4 frames to a target MAC, each carrying a sequence number, its flow and its send
 * time, spread over K flows (UDP source ports) so RSS or a backend's fan-out can spread them.
 * Checks every echo: addressed to us, from the target, every byte after the MACs as sent.
 * Frames carry a random per-run nonce, so an earlier run's late echoes or a second prober's
 * frames are counted apart (foreign) and never taken for ours. RTTs run from a timestamp taken
 * just before each paced send to the kernel's receive timestamp. Prints one JSON result.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAGIC 0x4c414250u /* "LABP" */
#define PROBE_PORT 9000
#define FLOW_PORT_BASE 10000
#define BATCH 64
#define SEND_TTL 64
#define HEADERS (sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct udphdr))

/* The flow is not carried: frame `seq` always belongs to flow seq % flows. */
struct probe_payload {
	uint32_t magic;
	uint32_t nonce; /* this run's: anything else is a foreign frame */
	uint32_t seq;
	uint64_t tx_ns; /* CLOCK_REALTIME, the clock of the kernel's receive timestamps */
} __attribute__((packed));

#define MIN_FRAME (HEADERS + sizeof(struct probe_payload))
#define MIN_U64(a, b) ((uint64_t)(a) < (uint64_t)(b) ? (uint64_t)(a) : (uint64_t)(b))

struct config {
	const char *ifname;
	uint8_t target[ETH_ALEN];
	uint64_t count;      /* 0: until duration */
	double duration_s;   /* 0: until count */
	uint64_t pps;        /* 0 with flood: as fast as possible */
	bool flood;
	unsigned int flows;
	unsigned int size;
	uint32_t src_ip;
	uint32_t dst_ip;
	unsigned int wait_ms;
	/* The echo is a router (one hop): it returns each frame with the TTL one lower and the checksum redone. */
	bool routed;
};

struct flow_counts {
	uint64_t sent;
	uint64_t received;
};

struct results {
	uint64_t sent;
	uint64_t received;   /* distinct sequence numbers echoed back */
	uint64_t bad_mac;
	uint64_t corrupted;
	uint64_t duplicates;
	uint64_t other;      /* frames on the wire that are not probe frames */
	uint64_t foreign;    /* probe frames of another run or another prober */
	uint8_t *seen;       /* a byte per sequence number */
	uint32_t *rtt_ns;    /* one per distinct echo */
	uint64_t *tx_kernel_ns; /* per sequence number: the driver's send time, from the error queue; 0 until it arrives */
	uint64_t rx_kernel;  /* echoes timed by the kernel's receive stamp */
	uint64_t tx_kernel;  /* echoes timed from the kernel's send stamp (else from the stamp in the frame) */
	uint64_t capacity;
	struct flow_counts *flows;
	uint64_t first_tx_ns;
	uint64_t last_tx_ns;
	uint64_t first_rx_ns;
	uint64_t last_rx_ns;
};

struct probe {
	struct config cfg;
	int fd;
	int ifindex;
	uint8_t mac[ETH_ALEN];
	uint32_t nonce;
	struct results res;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int signum)
{
	(void)signum;
	stop_requested = 1;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pacing and deadlines: never jumps. */
static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Send and receive times: the clock SO_TIMESTAMPNS stamps received frames with. */
static uint64_t wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: l2probe -i IFACE -t TARGET_MAC [options]\n"
		"  -i, --iface IFACE       interface to send on and receive from\n"
		"  -t, --target MAC        MAC of the echo under test\n"
		"  -n, --count N           frames to send (default 1000 unless --duration)\n"
		"  -d, --duration SECS     send for SECS seconds\n"
		"  -r, --pps RATE          offered rate, frames per second (default 1000)\n"
		"  -F, --flood             send as fast as possible (throughput)\n"
		"  -k, --flows K           flows (UDP source ports) to spread frames over (default 16)\n"
		"  -s, --size BYTES        frame size without FCS, %zu..1514 (default 128)\n"
		"      --src-ip A --dst-ip B  IPv4 addresses written into the frames\n"
		"  -w, --wait-ms MS        how long to wait for late echoes (default 500)\n"
		"      --routed            the echo is a router: expect the TTL one lower and the checksum redone\n",
		MIN_FRAME);
}

static int parse_mac(const char *text, uint8_t mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 10);
	return (errno || end == text || *end || *out < min || *out > max) ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_SRC_IP = 256, OPT_DST_IP, OPT_ROUTED };
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },   { "target", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },   { "duration", required_argument, NULL, 'd' },
		{ "pps", required_argument, NULL, 'r' },     { "flood", no_argument, NULL, 'F' },
		{ "flows", required_argument, NULL, 'k' },   { "size", required_argument, NULL, 's' },
		{ "wait-ms", required_argument, NULL, 'w' }, { "src-ip", required_argument, NULL, OPT_SRC_IP },
		{ "dst-ip", required_argument, NULL, OPT_DST_IP }, { "routed", no_argument, NULL, OPT_ROUTED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_target = false;
	struct in_addr addr;
	char *end;
	uint64_t v;
	int opt;

	*cfg = (struct config){ .pps = 1000, .flows = 16, .size = 128, .wait_ms = 500 };
	while ((opt = getopt_long(argc, argv, "i:t:n:d:r:Fk:s:w:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i': cfg->ifname = optarg; break;
		case 't':
			if (parse_mac(optarg, cfg->target) != 0)
				goto bad;
			have_target = true;
			break;
		case 'n':
			if (parse_u64(optarg, 1, UINT32_MAX, &cfg->count) != 0)
				goto bad;
			break;
		case 'd':
			errno = 0;
			cfg->duration_s = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !isfinite(cfg->duration_s) || cfg->duration_s <= 0 || cfg->duration_s > 3600)
				goto bad;
			break;
		case 'r':
			if (parse_u64(optarg, 1, 100000000, &cfg->pps) != 0)
				goto bad;
			break;
		case 'F': cfg->flood = true; break;
		case 'k':
			if (parse_u64(optarg, 1, 65535 - FLOW_PORT_BASE, &v) != 0)
				goto bad;
			cfg->flows = (unsigned int)v;
			break;
		case 's':
			if (parse_u64(optarg, MIN_FRAME, 1514, &v) != 0)
				goto bad;
			cfg->size = (unsigned int)v;
			break;
		case 'w':
			if (parse_u64(optarg, 0, 60000, &v) != 0)
				goto bad;
			cfg->wait_ms = (unsigned int)v;
			break;
		case OPT_ROUTED:
			cfg->routed = true;
			break;
		case OPT_SRC_IP:
		case OPT_DST_IP:
			if (inet_pton(AF_INET, optarg, &addr) != 1)
				goto bad;
			*(opt == OPT_SRC_IP ? &cfg->src_ip : &cfg->dst_ip) = addr.s_addr;
			break;
		default:
			usage();
			return -1;
		}
	}
	if (!cfg->ifname || !have_target || optind != argc) {
		usage();
		return -1;
	}
	if (cfg->count == 0 && cfg->duration_s == 0)
		cfg->count = 1000;
	return 0;
bad:
	fprintf(stderr, "l2probe: invalid value for -%c: '%s'\n", opt < 256 ? opt : '-', optarg);
	return -1;
}

static int open_socket(struct probe *p)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr;
	int one = 1;
	int bufsize = 8 << 20;

	/* Protocol 0: the socket takes in nothing until it is bound to the one interface below. */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
	if (p->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->cfg.ifname);
	if (ioctl(p->fd, SIOCGIFINDEX, &ifr) != 0)
		return -errno;
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(p->fd, SIOCGIFHWADDR, &ifr) != 0)
		return -errno;
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return -errno;
	/* Our own transmitted frames would otherwise come back on this socket. */
	if (setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0)
		return -errno;
	/* Software stamps on receive, and at rates also on send (a flood would only fill the error queue). */
	int stamps = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE | (p->cfg.flood ? 0 : SOF_TIMESTAMPING_TX_SOFTWARE);
	if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPING, &stamps, sizeof(stamps)) != 0)
		return -errno;
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) != 0 &&
	    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)) != 0)
		return -errno;
	return 0;
}

/* RFC 1071, summed byte by byte: reading the header through a uint16_t pointer would break
 * strict aliasing, and at -O3 GCC then sums a stale header (seen as bad checksums on the wire). */
static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static uint8_t pattern_byte(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 31u + i * 7u);
}

/* Headers are built in aligned locals and copied in: in the frame, the IP header sits at offset 14. */
static void build_frame(const struct probe *p, uint8_t *frame, uint32_t seq, uint64_t tx_ns, uint8_t ttl)
{
	const unsigned int flow = seq % p->cfg.flows;
	const size_t size = p->cfg.size;
	struct ether_header eth;
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = ttl, .protocol = IPPROTO_UDP,
			    .tot_len = htons((uint16_t)(size - sizeof(eth))), .saddr = p->cfg.src_ip, .daddr = p->cfg.dst_ip };
	const struct udphdr udp = { .source = htons((uint16_t)(FLOW_PORT_BASE + flow)), .dest = htons(PROBE_PORT),
				    .len = htons((uint16_t)(size - sizeof(eth) - sizeof(ip))) };
	const struct probe_payload pl = { .magic = PROBE_MAGIC, .nonce = p->nonce, .seq = seq, .tx_ns = tx_ns };

	memcpy(eth.ether_dhost, p->cfg.target, ETH_ALEN);
	memcpy(eth.ether_shost, p->mac, ETH_ALEN);
	eth.ether_type = htons(ETHERTYPE_IP);
	ip.check = ip_checksum(&ip, sizeof(ip));
	memcpy(frame, &eth, sizeof(eth));
	memcpy(frame + sizeof(eth), &ip, sizeof(ip));
	memcpy(frame + sizeof(eth) + sizeof(ip), &udp, sizeof(udp));
	memcpy(frame + HEADERS, &pl, sizeof(pl));
	for (size_t i = MIN_FRAME; i < size; i++)
		frame[i] = pattern_byte(seq, i);
}

static int ensure_capacity(struct results *r, uint64_t n, unsigned int flows)
{
	uint64_t cap = r->capacity ? r->capacity : 4096;
	void *grown;

	if (!r->flows) {
		r->flows = calloc(flows, sizeof(*r->flows));
		if (!r->flows)
			return -ENOMEM;
	}
	if (n <= r->capacity)
		return 0;
	while (cap < n)
		cap *= 2;
	grown = realloc(r->seen, cap);
	if (!grown)
		return -ENOMEM;
	r->seen = grown;
	memset(r->seen + r->capacity, 0, cap - r->capacity);
	grown = realloc(r->rtt_ns, cap * sizeof(*r->rtt_ns));
	if (!grown)
		return -ENOMEM;
	r->rtt_ns = grown;
	grown = realloc(r->tx_kernel_ns, cap * sizeof(*r->tx_kernel_ns));
	if (!grown)
		return -ENOMEM;
	r->tx_kernel_ns = grown;
	memset(r->tx_kernel_ns + r->capacity, 0, (cap - r->capacity) * sizeof(*r->tx_kernel_ns));
	r->capacity = cap;
	return 0;
}

/* Sends up to n frames in one sendmmsg; returns how many went out. */
static int send_batch(struct probe *p, unsigned int n)
{
	static uint8_t frames[BATCH][1514];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = p->ifindex, .sll_halen = ETH_ALEN };
	const uint64_t t = wall_ns();
	int sent;

	memcpy(to.sll_addr, p->cfg.target, ETH_ALEN);
	if (ensure_capacity(&p->res, p->res.sent + n, p->cfg.flows) != 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		build_frame(p, frames[i], (uint32_t)(p->res.sent + i), t, SEND_TTL);
		iov[i] = (struct iovec){ .iov_base = frames[i], .iov_len = p->cfg.size };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	sent = sendmmsg(p->fd, msgs, n, 0);
	if (sent < 0)
		return (errno == EAGAIN || errno == ENOBUFS) ? 0 : -errno;
	for (int i = 0; i < sent; i++)
		p->res.flows[(p->res.sent + (uint64_t)i) % p->cfg.flows].sent++;
	if (p->res.sent == 0)
		p->res.first_tx_ns = t;
	p->res.last_tx_ns = t;
	p->res.sent += (uint64_t)sent;
	return sent;
}

/* Every byte after the MACs as sent: headers, ports, lengths, nonce, sequence, timestamp, payload. */
static bool frame_intact(const struct probe *p, const uint8_t *frame, size_t len, const struct probe_payload *pl, uint64_t rx_ns)
{
	static uint8_t expected[1514];
	const size_t macs = 2 * ETH_ALEN;

	if (len < p->cfg.size || pl->tx_ns < p->res.first_tx_ns || pl->tx_ns > rx_ns)
		return false;
	build_frame(p, expected, pl->seq, pl->tx_ns, p->cfg.routed ? SEND_TTL - 1 : SEND_TTL);
	return memcmp(frame + macs, expected + macs, p->cfg.size - macs) == 0;
}

static void check_echo(struct probe *p, const uint8_t *frame, size_t len, uint64_t rx_ns, bool rx_kernel)
{
	struct ether_header eth;
	struct probe_payload pl;
	struct results *r = &p->res;

	if (len < MIN_FRAME) {
		r->other++;
		return;
	}
	memcpy(&eth, frame, sizeof(eth));
	memcpy(&pl, frame + HEADERS, sizeof(pl));
	if (pl.magic != PROBE_MAGIC) {
		r->other++;
		return;
	}
	if (pl.nonce != p->nonce) {
		r->foreign++;
		return;
	}
	if (pl.seq >= r->sent || !frame_intact(p, frame, len, &pl, rx_ns)) {
		r->corrupted++;
		return;
	}
	/* An echo with the wrong MACs is not an echo: it is neither received nor timed. */
	if (memcmp(eth.ether_dhost, p->mac, ETH_ALEN) != 0 || memcmp(eth.ether_shost, p->cfg.target, ETH_ALEN) != 0) {
		r->bad_mac++;
		return;
	}
	if (r->seen[pl.seq]) {
		r->duplicates++;
		return;
	}
	r->seen[pl.seq] = 1;
	const uint64_t tx_ns = r->tx_kernel_ns[pl.seq] ? r->tx_kernel_ns[pl.seq] : pl.tx_ns;
	r->tx_kernel += r->tx_kernel_ns[pl.seq] != 0;
	r->rx_kernel += rx_kernel;
	r->rtt_ns[r->received++] = (uint32_t)MIN_U64(rx_ns > tx_ns ? rx_ns - tx_ns : 0, UINT32_MAX);
	r->flows[pl.seq % p->cfg.flows].received++;
	if (r->first_rx_ns == 0)
		r->first_rx_ns = rx_ns;
	r->last_rx_ns = rx_ns;
}

/* The kernel's software time stamp in a message's control data (SO_TIMESTAMPING), if it has one. */
static bool kernel_time(struct msghdr *msg, uint64_t *ns)
{
	struct scm_timestamping tss;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
			memcpy(&tss, CMSG_DATA(c), sizeof(tss));
			if (tss.ts[0].tv_sec == 0 && tss.ts[0].tv_nsec == 0)
				return false;
			*ns = (uint64_t)tss.ts[0].tv_sec * 1000000000u + (uint64_t)tss.ts[0].tv_nsec;
			return true;
		}
	}
	return false;
}

/*
 * The driver's send times, which the kernel queues on the error queue with a copy of each frame
 * sent: the frame's nonce and sequence number say whose time it is.
 */
static int drain_tx_stamps(struct probe *p)
{
	static uint8_t bufs[BATCH][128];
	static char ctrl[BATCH][512];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct probe_payload pl;
	uint64_t t;
	int n;

	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1,
								 .msg_control = ctrl[i], .msg_controllen = sizeof(ctrl[i]) } };
		}
		n = recvmmsg(p->fd, msgs, BATCH, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_len < MIN_FRAME || !kernel_time(&msgs[i].msg_hdr, &t))
				continue;
			memcpy(&pl, bufs[i] + HEADERS, sizeof(pl));
			if (pl.magic == PROBE_MAGIC && pl.nonce == p->nonce && pl.seq < p->res.sent)
				p->res.tx_kernel_ns[pl.seq] = t;
		}
	}
}

static int receive_all(struct probe *p)
{
	static uint8_t bufs[BATCH][2048];
	static char ctrl[BATCH][CMSG_SPACE(sizeof(struct scm_timestamping))];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t t;
	bool stamped;
	int n;

	for (;;) {
		/* A frame's send time is queued before its echo can come back: read it first. */
		n = drain_tx_stamps(p);
		if (n < 0)
			return n;
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1,
								 .msg_control = ctrl[i], .msg_controllen = sizeof(ctrl[i]) } };
		}
		n = recvmmsg(p->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
		for (int i = 0; i < n; i++) {
			stamped = kernel_time(&msgs[i].msg_hdr, &t);
			check_echo(p, bufs[i], msgs[i].msg_len, stamped ? t : wall_ns(), stamped);
		}
	}
}

static void wait_readable(int fd, uint64_t ns)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };

	(void)ppoll(&pfd, 1, &ts, NULL);
}

static bool sending_done(const struct probe *p, uint64_t start, uint64_t now)
{
	if (stop_requested)
		return true;
	if (p->cfg.count && p->res.sent >= p->cfg.count)
		return true;
	/* Sequence numbers are 32-bit: a run ends before they would wrap. */
	if (p->res.sent >= UINT32_MAX)
		return true;
	return p->cfg.duration_s > 0 && (double)(now - start) >= p->cfg.duration_s * 1e9;
}

/*
 * Reads before it sends, so a frame's send never waits behind the echoes already in. At a rate,
 * one frame per slot, timestamped just before its send; a slot missed by more than a whole
 * interval moves the schedule on instead of sending a catch-up burst into the tail.
 */
static int run_probe(struct probe *p)
{
	const uint64_t start = now_ns();
	const uint64_t interval = p->cfg.flood ? 0 : (uint64_t)(1e9 / (double)p->cfg.pps);
	uint64_t next = start;
	uint64_t now = start;
	int ret;

	while (!sending_done(p, start, now)) {
		ret = receive_all(p);
		if (ret < 0)
			return ret;
		now = now_ns();
		if (p->cfg.flood) {
			const uint64_t left = p->cfg.count ? p->cfg.count - p->res.sent : UINT32_MAX - p->res.sent;

			ret = send_batch(p, (unsigned int)MIN_U64(left, BATCH));
		} else if (now >= next) {
			ret = send_batch(p, 1);
			next = now - next > interval ? now + interval : next + interval;
		} else {
			wait_readable(p->fd, MIN_U64(next - now, 1000000u));
			ret = 0;
		}
		if (ret < 0)
			return ret;
		now = now_ns();
	}
	const uint64_t deadline = now_ns() + (uint64_t)p->cfg.wait_ms * 1000000u;
	while (p->res.received < p->res.sent && !stop_requested && (now = now_ns()) < deadline) {
		wait_readable(p->fd, deadline - now);
		ret = receive_all(p);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double percentile_us(const uint32_t *sorted, uint64_t n, double q)
{
	return n ? sorted[(uint64_t)((double)(n - 1) * q)] / 1000.0 : 0;
}

static void print_results(const struct probe *p)
{
	const struct results *r = &p->res;
	/* A rate is intervals over time: n frames span n - 1 intervals. */
	const double send_s = r->sent > 1 ? (double)(r->last_tx_ns - r->first_tx_ns) / 1e9 : 0;
	const double echo_s = r->received > 1 ? (double)(r->last_rx_ns - r->first_rx_ns) / 1e9 : 0;

	qsort(r->rtt_ns, r->received, sizeof(*r->rtt_ns), cmp_u32);
	printf("{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"bad_mac\":%" PRIu64
	       ",\"corrupted\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"other\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"frame_size\":%u,",
	       r->sent, r->received, r->sent - r->received, r->bad_mac, r->corrupted, r->duplicates, r->other, r->foreign, p->cfg.size);
	printf("\"timestamps\":{\"rx_kernel\":%" PRIu64 ",\"tx_kernel\":%" PRIu64 "},", r->rx_kernel, r->tx_kernel);
	printf("\"rtt_us\":{\"min\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},",
	       percentile_us(r->rtt_ns, r->received, 0), percentile_us(r->rtt_ns, r->received, 0.5),
	       percentile_us(r->rtt_ns, r->received, 0.99), percentile_us(r->rtt_ns, r->received, 1));
	printf("\"pps\":{\"offered\":%" PRIu64 ",\"sent\":%.0f,\"echoed\":%.0f},\"flows\":[",
	       p->cfg.flood ? 0 : p->cfg.pps, send_s > 0 ? (double)(r->sent - 1) / send_s : 0,
	       echo_s > 0 ? (double)(r->received - 1) / echo_s : 0);
	for (unsigned int f = 0; f < p->cfg.flows; f++)
		printf("%s{\"flow\":%u,\"sent\":%" PRIu64 ",\"received\":%" PRIu64 "}", f ? "," : "", f,
		       r->flows ? r->flows[f].sent : 0, r->flows ? r->flows[f].received : 0);
	printf("]}\n");
}

int main(int argc, char **argv)
{
	struct probe p = { .fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	if (parse_args(argc, argv, &p.cfg) != 0)
		return 2;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
		perror("l2probe: sigaction");
		return 1;
	}
	if (getrandom(&p.nonce, sizeof(p.nonce), 0) != (ssize_t)sizeof(p.nonce)) {
		perror("l2probe: getrandom");
		return 1;
	}
	ret = open_socket(&p);
	if (ret == 0)
		ret = run_probe(&p);
	if (ret == 0)
		print_results(&p);
	else
		fprintf(stderr, "l2probe: %s: %s\n", p.cfg.ifname, strerror(-ret));
	if (p.fd >= 0)
		close(p.fd);
	free(p.res.seen);
	free(p.res.rtt_ns);
	free(p.res.tx_kernel_ns);
	free(p.res.flows);
	return ret == 0 ? 0 : 1;
}
