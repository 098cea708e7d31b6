/* SPDX-License-Identifier: MIT
 *
 * l2probe: the tester's half of an echo or forwarding test, on plain AF_PACKET sockets (no DPDK).
 * Sends UDP/IPv4 frames to a target MAC, each carrying a sequence number, its flow and its send
 * time, spread over K flows (UDP source ports) so RSS or a backend's fan-out can spread them.
 * Checks every echo: addressed to us, from the target, every byte after the MACs as sent. With
 * --rx-iface the frames come back on a second interface (a DUT that forwards between two ports),
 * with the MACs the DUT is declared to write (--expect-src, --expect-dst; by default unchanged),
 * timed on the same clock. The first frame that differs from what was expected is named byte by byte.
 * Frames carry a random per-run nonce, so an earlier run's late echoes or a second prober's
 * frames are counted apart (foreign) and never taken for ours. RTTs run from the kernel's send
 * stamp (else one taken just before the send) to the kernel's receive stamp.
 *
 * One thread sends, paced or flat out; the main thread receives and checks, so a send never
 * waits behind the echoes and the reading never waits behind a send. Memory is fixed for any
 * duration: a window of the last WINDOW sequence numbers and a log-linear RTT histogram.
 *
 * --search is RFC 2544's throughput test (section 26.1): a binary search on the offered rate for
 * the highest one whose loss stays within a tolerance (zero by default).
 * Prints one JSON result.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "numbers.h"

#define PROBE_MAGIC 0x4c50u /* "LP" */
#define PROBE_PORT 9000
#define FLOW_PORT_BASE 10000
#define BATCH 64
#define SEND_TTL 64
#define HEADERS (sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct udphdr))

/* Echoes are matched to their send within the last WINDOW frames (a second at 1 Mpps); older ones are late. */
#define WINDOW_BITS 20
#define WINDOW (1u << WINDOW_BITS)

/* RTT histogram: exact below 2 * HIST_SUB ns, then HIST_SUB buckets per power of two (under 0.1 % wide), up to 2^36 ns. */
#define HIST_BITS 10
#define HIST_SUB (1u << HIST_BITS)
#define HIST_TOP_BIT 36
#define HIST_BUCKETS ((HIST_TOP_BIT - HIST_BITS + 1) * HIST_SUB)

/* Up to this rate one frame per slot; above it a slot carries rate / PACED_SLOT_PPS frames, up to BATCH. */
#define PACED_SLOT_PPS 20000
/* Sleeping wakes late by tens of microseconds: the last stretch before a send is spun. */
#define SPIN_NS 60000u
/* Above this rate every send stamp would be copied to the error queue: the frame's own stamp is used. */
#define TX_STAMP_MAX_PPS 100000
#define MAX_TRIALS 64
#define MAX_SENDERS 16
/* A trial proves a rate only if the tester really offered it. */
#define OFFERED_SHARE 0.99

/* The flow is not carried: frame `seq` always belongs to flow seq % flows. */
struct probe_payload {
	uint16_t magic;
	uint32_t nonce; /* this run's: anything else is a foreign frame */
	uint32_t seq;
	uint64_t tx_ns; /* CLOCK_REALTIME, the clock of the kernel's receive timestamps */
} __attribute__((packed));

#define MIN_FRAME (HEADERS + sizeof(struct probe_payload))
#define MIN_U64(a, b) ((uint64_t)(a) < (uint64_t)(b) ? (uint64_t)(a) : (uint64_t)(b))

struct config {
	const char *ifname;
	const char *rx_ifname; /* NULL: the echo comes back on ifname */
	uint8_t expect_src[ETH_ALEN];
	uint8_t expect_dst[ETH_ALEN];
	bool have_expect_src;
	bool have_expect_dst;
	uint8_t target[ETH_ALEN];
	uint64_t count;      /* 0: until duration */
	double duration_s;   /* 0: until count */
	uint64_t pps;        /* offered rate, unless flood */
	bool flood;
	unsigned int flows;
	unsigned int size;
	uint32_t src_ip;
	uint32_t dst_ip;
	unsigned int wait_ms;
	unsigned int threads; /* sending threads, each with its share of the rate */
	/* The echo is a router (one hop): it returns each frame with the TTL one lower and the checksum redone. */
	bool routed;
	/* --search */
	bool search;
	uint64_t min_pps;
	uint64_t max_pps;    /* 0: what a flood trial offers */
	double trial_s;
	double loss_pct;
	double precision_pct;
};

/* What one run sends: a rate, or flat out (flood), for a count of frames or a time. */
struct run_plan {
	uint64_t pps;
	bool flood;
	uint64_t count;
	double duration_s;
	bool catch_up; /* frames due are sent at once: the rate counts, not the spacing */
};

struct probe;

/* A sending thread's own: nothing else touches it until the receiver has joined the thread. */
struct sender {
	struct probe *probe;
	pthread_t thread;
	uint8_t (*frames)[1514]; /* BATCH of them */
	uint64_t *flow_sent;     /* per flow */
	uint64_t sent;
	uint64_t last_batch;     /* frames in the last send: they share its stamp */
	uint64_t first_tx_ns;
	uint64_t last_tx_ns;
	int error;
};

struct window_slot {
	uint64_t tx_kernel_ns; /* the driver's send time, from the error queue */
	uint32_t stamp_tag;    /* whose send time it is: seq / WINDOW + 1 */
	uint32_t echo_tag;     /* whose echo was seen here */
};

/* The receiver's, for one run. */
struct results {
	uint64_t received;   /* distinct sequence numbers echoed back */
	uint64_t bad_mac;
	uint64_t corrupted;
	uint64_t duplicates;
	uint64_t late;       /* ours and intact, but back after WINDOW more frames were sent: counted lost */
	uint64_t other;      /* frames on the wire that are not probe frames */
	uint64_t foreign;    /* probe frames of another run or another prober */
	uint64_t arrived;    /* every frame read, whatever it was */
	/* The first of ours that was not what was expected: where it first differs. */
	bool mismatch;
	uint32_t mismatch_seq;
	uint32_t mismatch_offset;
	int mismatch_expected; /* -1: the frame ended there */
	int mismatch_received;
	uint64_t rx_kernel;  /* echoes timed by the kernel's receive stamp */
	uint64_t tx_kernel;  /* echoes timed from the kernel's send stamp (else from the stamp in the frame) */
	uint64_t first_rx_ns;
	uint64_t last_rx_ns;
	uint64_t rtt_min_ns;
	uint64_t rtt_max_ns;
	uint64_t *hist;          /* HIST_BUCKETS */
	struct window_slot *window; /* WINDOW */
	uint64_t *flow_received; /* per flow */
};

struct probe {
	struct config cfg;
	int fd;    /* sends, and carries the send stamps */
	int rx_fd; /* receives: fd itself, or the --rx-iface socket */
	int ifindex;
	uint8_t mac[ETH_ALEN];
	/* What every frame that comes back must carry. */
	uint8_t want_src[ETH_ALEN];
	uint8_t want_dst[ETH_ALEN];
	/* The run under way. */
	struct run_plan plan;
	uint32_t nonce;
	uint64_t start_wall_ns;
	/* Sequence numbers the senders have taken, each before sending it: every echo's is below. */
	_Atomic uint64_t claimed;
	_Atomic unsigned int senders_done;
	struct sender senders[MAX_SENDERS];
	struct results res;
};

/* A search trial, as reported. */
struct trial {
	uint64_t offered_pps; /* 0: flood */
	uint64_t sent;
	uint64_t received;
	double sent_pps;
	double echoed_pps;
	double p50_us;
	double p99_us;
	const char *failed_by; /* NULL: passed; "loss", or "tester" when the rate was not offered */
};

/* Set by the signal handler and by the receiver, read by the sender threads: a lock-free
 * atomic_bool is both async-signal-safe and free of data races across threads. */
static atomic_bool stop_requested;

static void request_stop(void)
{
	atomic_store_explicit(&stop_requested, true, memory_order_relaxed);
}

static bool stopping(void)
{
	return atomic_load_explicit(&stop_requested, memory_order_relaxed);
}

static void on_signal(int signum)
{
	(void)signum;
	request_stop();
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Send and receive times: the clock the kernel's timestamps use. */
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
		"      --rx-iface IFACE    receive on IFACE instead: the DUT forwards from one port to another\n"
		"      --expect-src MAC    source MAC the frames must come back with (echo: the target; forward: ours)\n"
		"      --expect-dst MAC    destination MAC they must come back with (echo: ours; forward: the target)\n"
		"  -n, --count N           frames to send (default 1000 unless --duration)\n"
		"  -d, --duration SECS     send for SECS seconds\n"
		"  -r, --pps RATE          offered rate, frames per second (default 1000)\n"
		"  -F, --flood             send as fast as possible (throughput)\n"
		"  -T, --threads N         sending threads, each with its share of the rate (default 1, at most %d)\n"
		"  -k, --flows K           flows (UDP source ports) to spread frames over (default 16)\n"
		"  -s, --size BYTES        frame size without FCS, %zu..1514 (default 128)\n"
		"      --src-ip A --dst-ip B  IPv4 addresses written into the frames\n"
		"  -w, --wait-ms MS        how long to wait for late echoes (default 500)\n"
		"      --routed            the echo is a router: expect the TTL one lower and the checksum redone\n"
		"zero-loss throughput (RFC 2544 26.1), instead of -n/-d/-r/-F:\n"
		"      --search            binary search for the highest rate with loss within the tolerance\n"
		"      --min-pps RATE      lower bound (default 1000)\n"
		"      --max-pps RATE      upper bound (default: what a flood trial offers)\n"
		"      --trial SECS        duration of each trial (default 1)\n"
		"      --loss-tolerance PCT  loss a passing trial may have, in percent (default 0)\n"
		"      --precision PCT     stop when the bounds are this close, in percent of the upper (default 1)\n",
		MAX_SENDERS, MIN_FRAME);
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

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_SRC_IP = 256, OPT_DST_IP, OPT_ROUTED, OPT_SEARCH, OPT_MIN_PPS, OPT_MAX_PPS, OPT_TRIAL, OPT_LOSS, OPT_PRECISION,
	       OPT_RX_IFACE, OPT_EXPECT_SRC, OPT_EXPECT_DST };
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },   { "target", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },   { "duration", required_argument, NULL, 'd' },
		{ "pps", required_argument, NULL, 'r' },     { "flood", no_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 'T' },
		{ "flows", required_argument, NULL, 'k' },   { "size", required_argument, NULL, 's' },
		{ "wait-ms", required_argument, NULL, 'w' }, { "src-ip", required_argument, NULL, OPT_SRC_IP },
		{ "dst-ip", required_argument, NULL, OPT_DST_IP }, { "routed", no_argument, NULL, OPT_ROUTED },
		{ "search", no_argument, NULL, OPT_SEARCH }, { "min-pps", required_argument, NULL, OPT_MIN_PPS },
		{ "max-pps", required_argument, NULL, OPT_MAX_PPS }, { "trial", required_argument, NULL, OPT_TRIAL },
		{ "loss-tolerance", required_argument, NULL, OPT_LOSS }, { "precision", required_argument, NULL, OPT_PRECISION },
		{ "rx-iface", required_argument, NULL, OPT_RX_IFACE }, { "expect-src", required_argument, NULL, OPT_EXPECT_SRC },
		{ "expect-dst", required_argument, NULL, OPT_EXPECT_DST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_target = false, have_rate = false;
	struct in_addr addr;
	uint64_t v;
	int opt;

	*cfg = (struct config){ .pps = 1000, .flows = 16, .size = 128, .wait_ms = 500, .threads = 1,
				.min_pps = 1000, .trial_s = 1, .precision_pct = 1 };
	while ((opt = getopt_long(argc, argv, "i:t:n:d:r:FT:k:s:w:h", longopts, NULL)) != -1) {
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
			have_rate = true;
			break;
		case 'd':
			if (parse_double(optarg, 0, 3600, &cfg->duration_s) != 0)
				goto bad;
			have_rate = true;
			break;
		case 'r':
			if (parse_u64(optarg, 1, 100000000, &cfg->pps) != 0)
				goto bad;
			have_rate = true;
			break;
		case 'F': cfg->flood = have_rate = true; break;
		case 'T':
			if (parse_u64(optarg, 1, MAX_SENDERS, &v) != 0)
				goto bad;
			cfg->threads = (unsigned int)v;
			break;
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
		case OPT_ROUTED: cfg->routed = true; break;
		case OPT_RX_IFACE: cfg->rx_ifname = optarg; break;
		case OPT_EXPECT_SRC:
			if (parse_mac(optarg, cfg->expect_src) != 0)
				goto bad;
			cfg->have_expect_src = true;
			break;
		case OPT_EXPECT_DST:
			if (parse_mac(optarg, cfg->expect_dst) != 0)
				goto bad;
			cfg->have_expect_dst = true;
			break;
		case OPT_SRC_IP:
		case OPT_DST_IP:
			if (inet_pton(AF_INET, optarg, &addr) != 1)
				goto bad;
			*(opt == OPT_SRC_IP ? &cfg->src_ip : &cfg->dst_ip) = addr.s_addr;
			break;
		case OPT_SEARCH: cfg->search = true; break;
		case OPT_MIN_PPS:
		case OPT_MAX_PPS:
			if (parse_u64(optarg, 1, 100000000, opt == OPT_MIN_PPS ? &cfg->min_pps : &cfg->max_pps) != 0)
				goto bad;
			break;
		case OPT_TRIAL:
			if (parse_double(optarg, 0, 3600, &cfg->trial_s) != 0)
				goto bad;
			break;
		case OPT_LOSS:
			/* Zero is a valid tolerance: parse_double takes (min, max], so start just below it. */
			if (parse_double(optarg, -1e-12, 100, &cfg->loss_pct) != 0 || cfg->loss_pct < 0)
				goto bad;
			break;
		case OPT_PRECISION:
			if (parse_double(optarg, 0, 50, &cfg->precision_pct) != 0)
				goto bad;
			break;
		case 'h':
			usage();
			exit(0);
		default:
			usage();
			return -1;
		}
	}
	if (!cfg->ifname || !have_target || optind != argc) {
		usage();
		return -1;
	}
	if (cfg->search && have_rate) {
		fprintf(stderr, "l2probe: --search sets its own rates and times: drop -n, -d, -r and -F\n");
		return -1;
	}
	if (cfg->search && cfg->max_pps && cfg->max_pps <= cfg->min_pps) {
		fprintf(stderr, "l2probe: --max-pps must be above --min-pps\n");
		return -1;
	}
	if (cfg->count == 0 && cfg->duration_s == 0)
		cfg->count = 1000;
	return 0;
bad:
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == opt)
			fprintf(stderr, "l2probe: invalid value for %s%s: '%s'\n", opt < 256 ? "-" : "--",
				opt < 256 ? (const char[]){ (char)opt, '\0' } : o->name, optarg);
	return -1;
}

/*
 * A raw socket on one interface. `receives`: it takes in every frame there (promiscuous when it
 * is not the sending socket, since forwarded frames are not addressed to this interface), but not
 * the frames sent from it. A socket that only sends is bound with protocol 0 and takes in nothing.
 */
static int open_packet_socket(const char *ifname, bool receives, bool promiscuous, int *fd, int *ifindex, uint8_t mac[ETH_ALEN])
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = receives ? htons(ETH_P_ALL) : 0 };
	struct ifreq ifr;
	int one = 1;
	int bufsize = 8 << 20;

	/* Protocol 0: the socket takes in nothing until it is bound to the one interface below. */
	*fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
	if (*fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(*fd, SIOCGIFINDEX, &ifr) != 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(*fd, SIOCGIFHWADDR, &ifr) != 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	sll.sll_ifindex = *ifindex;
	if (bind(*fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return -errno;
	if (!receives)
		return 0;
	/* Our own transmitted frames would otherwise come back on this socket. */
	if (setsockopt(*fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0)
		return -errno;
	if (promiscuous) {
		/* Held by the socket: the kernel drops it when the socket closes, however l2probe ends. */
		const struct packet_mreq mr = { .mr_ifindex = *ifindex, .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(*fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
			return -errno;
	}
	/*
	 * No PACKET_QDISC_BYPASS: it also skips the packet taps, so tcpdump on the wire (the RTT
	 * reference, the evidence captures) would never see what was sent.
	 */
	if (setsockopt(*fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) != 0 &&
	    setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)) != 0)
		return -errno;
	return 0;
}

/* The sending socket, the receiving one (the same, for an echo), and the MACs frames must come back with. */
static int open_sockets(struct probe *p)
{
	const bool forward = p->cfg.rx_ifname != NULL;
	uint8_t rx_mac[ETH_ALEN];
	int rx_ifindex, ret;

	ret = open_packet_socket(p->cfg.ifname, !forward, false, &p->fd, &p->ifindex, p->mac);
	if (ret < 0)
		return ret;
	p->rx_fd = p->fd;
	if (forward) {
		ret = open_packet_socket(p->cfg.rx_ifname, true, true, &p->rx_fd, &rx_ifindex, rx_mac);
		if (ret < 0)
			return ret;
	}
	memcpy(p->want_src, p->cfg.have_expect_src ? p->cfg.expect_src : forward ? p->mac : p->cfg.target, ETH_ALEN);
	memcpy(p->want_dst, p->cfg.have_expect_dst ? p->cfg.expect_dst : forward ? p->cfg.target : p->mac, ETH_ALEN);
	return 0;
}

/* Software stamps on receive, and on send at rates where the error queue keeps up. */
static int set_timestamping(const struct probe *p)
{
	const bool tx = !p->plan.flood && p->plan.pps <= TX_STAMP_MAX_PPS;
	const int stamps = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE | (tx ? SOF_TIMESTAMPING_TX_SOFTWARE : 0);

	if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPING, &stamps, sizeof(stamps)) != 0)
		return -errno;
	return p->rx_fd == p->fd || setsockopt(p->rx_fd, SOL_SOCKET, SO_TIMESTAMPING, &stamps, sizeof(stamps)) == 0 ? 0 : -errno;
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

/* Takes up to `want` sequence numbers for this sender: fewer at the end of the run, none after it. */
static uint64_t claim(struct probe *p, uint64_t want, uint64_t *base)
{
	/* Sequence numbers are 32-bit: a run ends before they would wrap. */
	const uint64_t limit = p->plan.count ? p->plan.count : UINT32_MAX;
	uint64_t n;

	*base = atomic_load_explicit(&p->claimed, memory_order_relaxed);
	do {
		n = *base < limit ? MIN_U64(want, limit - *base) : 0;
		if (n == 0)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(&p->claimed, base, *base + n, memory_order_release, memory_order_relaxed));
	return n;
}

/*
 * Sends frames base..base+n-1, in as few sendmmsg calls as the socket takes, each stamped just
 * before it. Stops early only when the run is stopped.
 */
static int send_batch(struct probe *p, struct sender *s, uint64_t base, unsigned int n)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = p->ifindex, .sll_halen = ETH_ALEN };
	unsigned int done = 0;
	int sent;

	memcpy(to.sll_addr, p->cfg.target, ETH_ALEN);
	while (done < n && !stopping()) {
		const uint64_t t = wall_ns();

		for (unsigned int i = done; i < n; i++) {
			build_frame(p, s->frames[i], (uint32_t)(base + i), t, SEND_TTL);
			iov[i] = (struct iovec){ .iov_base = s->frames[i], .iov_len = p->cfg.size };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		sent = sendmmsg(p->fd, msgs + done, n - done, 0);
		if (sent < 0 && errno != EAGAIN && errno != ENOBUFS)
			return -errno;
		if (sent <= 0)
			continue;
		if (s->sent == 0)
			s->first_tx_ns = t;
		s->last_tx_ns = t;
		s->last_batch = (uint64_t)sent;
		s->sent += (uint64_t)sent;
		for (unsigned int i = done; i < done + (unsigned int)sent; i++)
			s->flow_sent[(base + i) % p->cfg.flows]++;
		done += (unsigned int)sent;
	}
	return 0;
}

/* Sleeps most of the way (sleeping wakes late) and spins the rest. */
static void pace_until(uint64_t at)
{
	const uint64_t now = now_ns();

	if (at > now + SPIN_NS) {
		const uint64_t wake = at - SPIN_NS;
		const struct timespec ts = { .tv_sec = (time_t)(wake / 1000000000u), .tv_nsec = (long)(wake % 1000000000u) };

		(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	while (now_ns() < at && !stopping())
		;
}

/*
 * One sender's share: flat out in batches, or paced at the rate over the number of senders, a
 * slot per frame up to PACED_SLOT_PPS, above it a few frames per slot. For latency, a slot missed
 * by more than a whole slot moves the schedule on instead of sending a catch-up burst into the
 * tail. A throughput trial must offer its rate on average even on CPUs it shares with the DUT's
 * pollers, so there the frames due are sent at once.
 */
static int send_frames(struct probe *p, struct sender *s)
{
	const struct run_plan *plan = &p->plan;
	const uint64_t start = now_ns();
	const double pps = (double)plan->pps / p->cfg.threads;
	const double per_ns = pps / 1e9;
	const uint64_t slot_frames = plan->flood ? BATCH : MIN_U64(BATCH, (uint64_t)(pps / PACED_SLOT_PPS) + 1);
	uint64_t base_ns = start, base_seq = 0, now = start, first;
	int ret;

	while (!stopping() && (plan->duration_s == 0 || (double)(now - start) < plan->duration_s * 1e9)) {
		uint64_t n = slot_frames;

		if (!plan->flood) {
			const uint64_t at = base_ns + (uint64_t)((double)(s->sent + n - base_seq) / per_ns);

			pace_until(at);
			now = now_ns();
			if (plan->catch_up) {
				const uint64_t due = base_seq + (uint64_t)((double)(now - base_ns) * per_ns) - s->sent;

				n = MIN_U64(BATCH, due > n ? due : n);
			} else if (now - at > (uint64_t)((double)n / per_ns)) {
				base_ns = now;
				base_seq = s->sent;
			}
		}
		n = claim(p, n, &first);
		if (n == 0)
			break;
		ret = send_batch(p, s, first, (unsigned int)n);
		if (ret < 0)
			return ret;
		now = now_ns();
	}
	return 0;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	/* Wake-ups as exact as the kernel allows: the default slack is 50 microseconds. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	s->error = send_frames(s->probe, s);
	atomic_fetch_add_explicit(&s->probe->senders_done, 1, memory_order_release);
	return NULL;
}

/* Frames sent by all senders; read once they are joined. */
static uint64_t total_sent(const struct probe *p)
{
	uint64_t sent = 0;

	for (unsigned int i = 0; i < p->cfg.threads; i++)
		sent += p->senders[i].sent;
	return sent;
}

static unsigned int hist_index(uint64_t ns)
{
	if (ns >= 1ull << HIST_TOP_BIT)
		ns = (1ull << HIST_TOP_BIT) - 1;
	if (ns < 2 * HIST_SUB)
		return (unsigned int)ns;
	const unsigned int shift = (unsigned int)(63 - __builtin_clzll(ns)) - HIST_BITS;

	return shift * HIST_SUB + (unsigned int)(ns >> shift);
}

/* The middle of a bucket's range. */
static uint64_t hist_value(unsigned int index)
{
	if (index < 2 * HIST_SUB)
		return index;
	const unsigned int shift = index / HIST_SUB - 1;

	return ((uint64_t)(index - shift * HIST_SUB) << shift) + ((1ull << shift) - 1) / 2;
}

/* The nearest-rank RTT at q, from the histogram, kept within the exact min and max. */
static double percentile_us(const struct results *r, double q)
{
	uint64_t seen = 0, v = r->rtt_max_ns;

	if (r->received == 0)
		return 0;
	const uint64_t rank = (uint64_t)((double)(r->received - 1) * q);
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += r->hist[i];
		if (seen > rank) {
			v = hist_value(i);
			break;
		}
	}
	v = v < r->rtt_min_ns ? r->rtt_min_ns : v > r->rtt_max_ns ? r->rtt_max_ns : v;
	return (double)v / 1000.0;
}

static void record_rtt(struct results *r, uint64_t ns)
{
	r->hist[hist_index(ns)]++;
	if (r->received == 0 || ns < r->rtt_min_ns)
		r->rtt_min_ns = ns;
	if (ns > r->rtt_max_ns)
		r->rtt_max_ns = ns;
}

/* What frame `pl` must come back as: as sent, with the MACs it must carry and, through a router, one hop less. */
static void expected_frame(const struct probe *p, uint8_t *frame, const struct probe_payload *pl)
{
	build_frame(p, frame, pl->seq, pl->tx_ns, p->cfg.routed ? SEND_TTL - 1 : SEND_TTL);
	memcpy(frame, p->want_dst, ETH_ALEN);
	memcpy(frame + ETH_ALEN, p->want_src, ETH_ALEN);
}

/* The first byte where `frame` differs from `expected` (its length if it ends first), or -1. */
static long first_difference(const uint8_t *frame, size_t len, const uint8_t *expected, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (i >= len || frame[i] != expected[i])
			return (long)i;
	return -1;
}

static void note_mismatch(struct results *r, uint32_t seq, size_t at, const uint8_t *frame, size_t len, const uint8_t *expected)
{
	if (r->mismatch)
		return;
	r->mismatch = true;
	r->mismatch_seq = seq;
	r->mismatch_offset = (uint32_t)at;
	r->mismatch_expected = expected[at];
	r->mismatch_received = at < len ? frame[at] : -1;
}

static void check_echo(struct probe *p, const uint8_t *frame, size_t len, uint64_t rx_ns, bool rx_kernel)
{
	static uint8_t expected[1514];
	const size_t macs = 2 * ETH_ALEN;
	const uint64_t issued = atomic_load_explicit(&p->claimed, memory_order_acquire);
	struct results *r = &p->res;
	struct probe_payload pl;

	r->arrived++;
	if (len < MIN_FRAME) {
		r->other++;
		return;
	}
	memcpy(&pl, frame + HEADERS, sizeof(pl));
	if (pl.magic != PROBE_MAGIC) {
		r->other++;
		return;
	}
	if (pl.nonce != p->nonce) {
		r->foreign++;
		return;
	}
	/* Not a sequence number or a send time of this run: there is no frame to hold it to. */
	if (pl.seq >= issued || pl.tx_ns < p->start_wall_ns || pl.tx_ns > rx_ns) {
		r->corrupted++;
		return;
	}
	expected_frame(p, expected, &pl);
	const long at = first_difference(frame, len, expected, p->cfg.size);

	if (at >= 0) {
		note_mismatch(r, pl.seq, (size_t)at, frame, len, expected);
		/* Only the MACs wrong: not an echo, so neither received nor timed. Anything after them: corrupted. */
		if (at >= (long)macs || first_difference(frame + macs, len - macs, expected + macs, p->cfg.size - macs) >= 0)
			r->corrupted++;
		else
			r->bad_mac++;
		return;
	}
	if ((uint64_t)pl.seq + WINDOW <= issued) {
		r->late++;
		return;
	}
	struct window_slot *slot = &r->window[pl.seq & (WINDOW - 1)];
	const uint32_t tag = (pl.seq >> WINDOW_BITS) + 1;

	if (slot->echo_tag == tag) {
		r->duplicates++;
		return;
	}
	slot->echo_tag = tag;
	const bool tx_kernel = slot->stamp_tag == tag;
	const uint64_t tx_ns = tx_kernel ? slot->tx_kernel_ns : pl.tx_ns;

	r->tx_kernel += tx_kernel;
	r->rx_kernel += rx_kernel;
	record_rtt(r, rx_ns > tx_ns ? rx_ns - tx_ns : 0);
	r->received++;
	r->flow_received[pl.seq % p->cfg.flows]++;
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
		const uint64_t issued = atomic_load_explicit(&p->claimed, memory_order_acquire);

		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_len < MIN_FRAME || !kernel_time(&msgs[i].msg_hdr, &t))
				continue;
			memcpy(&pl, bufs[i] + HEADERS, sizeof(pl));
			if (pl.magic != PROBE_MAGIC || pl.nonce != p->nonce || pl.seq >= issued)
				continue;
			struct window_slot *slot = &p->res.window[pl.seq & (WINDOW - 1)];

			slot->tx_kernel_ns = t;
			slot->stamp_tag = (pl.seq >> WINDOW_BITS) + 1;
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
	int n, ret;

	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1,
								 .msg_control = ctrl[i], .msg_controllen = sizeof(ctrl[i]) } };
		}
		n = recvmmsg(p->rx_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		const int recv_errno = errno;
		/*
		 * A frame's send time is queued before its echo can come back, so once the echoes are in,
		 * every one of their send times is too: read them now, as the sender keeps sending meanwhile.
		 * Read them when no echo came in as well: a waiting send time keeps poll from sleeping.
		 */
		ret = drain_tx_stamps(p);
		if (ret < 0)
			return ret;
		if (n < 0)
			return (recv_errno == EAGAIN || recv_errno == EINTR) ? 0 : -recv_errno;
		for (int i = 0; i < n; i++) {
			stamped = kernel_time(&msgs[i].msg_hdr, &t);
			check_echo(p, bufs[i], msgs[i].msg_len, stamped ? t : wall_ns(), stamped);
		}
	}
}

/* Until a frame comes in, or a send stamp (POLLERR on the sending socket, always reported), or `ns` pass. */
static void wait_readable(const struct probe *p, uint64_t ns)
{
	struct pollfd pfd[2] = { { .fd = p->rx_fd, .events = POLLIN }, { .fd = p->fd, .events = 0 } };
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };

	(void)ppoll(pfd, p->rx_fd == p->fd ? 1 : 2, &ts, NULL);
}

/* Receives while the senders run, then joins them and waits up to wait_ms for the last echoes. */
static int receive_run(struct probe *p, unsigned int started)
{
	int ret = 0;

	while (atomic_load_explicit(&p->senders_done, memory_order_acquire) < started) {
		ret = receive_all(p);
		if (ret < 0)
			break;
		wait_readable(p, 10000000u);
	}
	if (ret < 0 || started < p->cfg.threads)
		request_stop(); /* the senders stop too */
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(p->senders[i].thread, NULL);
		if (ret == 0 && p->senders[i].error < 0)
			ret = p->senders[i].error;
	}
	if (ret < 0)
		return ret;
	const uint64_t sent = total_sent(p);
	const uint64_t deadline = now_ns() + (uint64_t)p->cfg.wait_ms * 1000000u;
	uint64_t now;

	while (p->res.received < sent && !stopping() && (now = now_ns()) < deadline) {
		wait_readable(p, deadline - now);
		ret = receive_all(p);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A run: a fresh nonce and fresh counts, the sending threads, and the receiving here. */
static int run_probe(struct probe *p, const struct run_plan *plan)
{
	struct results *r = &p->res;
	sigset_t all, old;
	unsigned int started = 0;
	int ret;

	p->plan = *plan;
	if (getrandom(&p->nonce, sizeof(p->nonce), 0) != (ssize_t)sizeof(p->nonce))
		return -errno;
	ret = set_timestamping(p);
	if (ret < 0)
		return ret;
	atomic_store(&p->claimed, 0);
	atomic_store(&p->senders_done, 0);
	for (unsigned int i = 0; i < p->cfg.threads; i++) {
		struct sender *sd = &p->senders[i];

		memset(sd->flow_sent, 0, p->cfg.flows * sizeof(*sd->flow_sent));
		*sd = (struct sender){ .probe = p, .frames = sd->frames, .flow_sent = sd->flow_sent };
	}
	memset(r->hist, 0, HIST_BUCKETS * sizeof(*r->hist));
	memset(r->window, 0, WINDOW * sizeof(*r->window));
	memset(r->flow_received, 0, p->cfg.flows * sizeof(*r->flow_received));
	*r = (struct results){ .hist = r->hist, .window = r->window, .flow_received = r->flow_received };
	p->start_wall_ns = wall_ns();
	/* Signals are this thread's to take: its ppoll wakes, and the senders see the flag. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; started < p->cfg.threads && ret == 0; started += ret == 0)
		ret = -pthread_create(&p->senders[started].thread, NULL, sender_main, &p->senders[started]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	const int run = receive_run(p, started);

	return ret < 0 ? ret : run;
}

/* A rate is intervals over time: per sender, frames before its last send over the time up to it; the senders' rates add up. */
static double sent_pps(const struct probe *p)
{
	double pps = 0;

	for (unsigned int i = 0; i < p->cfg.threads; i++) {
		const struct sender *sd = &p->senders[i];

		if (sd->last_tx_ns > sd->first_tx_ns)
			pps += (double)(sd->sent - sd->last_batch) * 1e9 / (double)(sd->last_tx_ns - sd->first_tx_ns);
	}
	return pps;
}

static double echoed_pps(const struct results *r)
{
	return r->last_rx_ns > r->first_rx_ns ? (double)(r->received - 1) * 1e9 / (double)(r->last_rx_ns - r->first_rx_ns) : 0;
}

/* The RTT distribution: each bucket that holds an echo, as [its middle in µs, its count]. */
static void print_histogram(FILE *out, const struct results *r)
{
	bool first = true;

	fprintf(out, "\"rtt_hist_us\":[");
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		if (r->hist[i] == 0)
			continue;
		fprintf(out, "%s[%.1f,%" PRIu64 "]", first ? "" : ",", (double)hist_value(i) / 1000.0, r->hist[i]);
		first = false;
	}
	fprintf(out, "],");
}

static void print_run(FILE *out, const struct probe *p)
{
	const struct results *r = &p->res;
	const uint64_t sent = total_sent(p);

	fprintf(out, "{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"bad_mac\":%" PRIu64
		",\"corrupted\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"late\":%" PRIu64 ",\"other\":%" PRIu64
		",\"foreign\":%" PRIu64 ",\"arrived\":%" PRIu64 ",\"frame_size\":%u,",
		sent, r->received, sent - r->received, r->bad_mac, r->corrupted, r->duplicates, r->late, r->other,
		r->foreign, r->arrived, p->cfg.size);
	if (r->mismatch)
		fprintf(out, "\"first_mismatch\":{\"seq\":%" PRIu32 ",\"offset\":%" PRIu32 ",\"expected\":%d,\"received\":%d},",
			r->mismatch_seq, r->mismatch_offset, r->mismatch_expected, r->mismatch_received);
	else
		fprintf(out, "\"first_mismatch\":null,");
	fprintf(out, "\"timestamps\":{\"rx_kernel\":%" PRIu64 ",\"tx_kernel\":%" PRIu64 "},", r->rx_kernel, r->tx_kernel);
	fprintf(out, "\"rtt_us\":{\"min\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},",
		r->received ? (double)r->rtt_min_ns / 1000.0 : 0, percentile_us(r, 0.5), percentile_us(r, 0.99),
		(double)r->rtt_max_ns / 1000.0);
	print_histogram(out, r);
	fprintf(out, "\"pps\":{\"offered\":%" PRIu64 ",\"sent\":%.0f,\"echoed\":%.0f},\"flows\":[",
		p->plan.flood ? 0 : p->plan.pps, sent_pps(p), echoed_pps(r));
	for (unsigned int f = 0; f < p->cfg.flows; f++) {
		uint64_t flow_sent = 0;

		for (unsigned int i = 0; i < p->cfg.threads; i++)
			flow_sent += p->senders[i].flow_sent[f];
		fprintf(out, "%s{\"flow\":%u,\"sent\":%" PRIu64 ",\"received\":%" PRIu64 "}", f ? "," : "", f, flow_sent,
			r->flow_received[f]);
	}
	fprintf(out, "]}");
}

/* The search so far: its trials, and the best passing one's full result as JSON. */
struct search {
	struct trial trials[MAX_TRIALS];
	unsigned int n;
	char *best_json;
};

/* Runs one trial at `pps` (0: flood) and judges it; a passing trial's full result is kept. */
static int search_trial(struct probe *p, struct search *s, uint64_t pps, bool *passed)
{
	const struct run_plan plan = { .pps = pps, .flood = pps == 0, .duration_s = p->cfg.trial_s, .catch_up = true };
	struct trial *t = &s->trials[s->n];
	size_t size;
	FILE *out;
	int ret;

	ret = run_probe(p, &plan);
	if (ret < 0)
		return ret;
	const uint64_t sent = total_sent(p);
	const uint64_t lost = sent - p->res.received;

	*t = (struct trial){ .offered_pps = pps, .sent = sent, .received = p->res.received,
			     .sent_pps = sent_pps(p), .echoed_pps = echoed_pps(&p->res),
			     .p50_us = percentile_us(&p->res, 0.5), .p99_us = percentile_us(&p->res, 0.99) };
	if (sent == 0 || (double)lost > p->cfg.loss_pct / 100.0 * (double)sent)
		t->failed_by = "loss";
	else if (!plan.flood && t->sent_pps < OFFERED_SHARE * (double)pps)
		t->failed_by = "tester";
	s->n++;
	*passed = t->failed_by == NULL;
	if (!*passed)
		return 0;
	free(s->best_json);
	s->best_json = NULL;
	out = open_memstream(&s->best_json, &size);
	if (out == NULL)
		return -errno;
	print_run(out, p);
	return fclose(out) != 0 ? -errno : 0;
}

static void print_search(const struct probe *p, const struct search *s, uint64_t max_pps, uint64_t rate, const char *limited_by)
{
	printf("{\"search\":{\"frame_size\":%u,\"trial_s\":%g,\"loss_tolerance_pct\":%g,\"precision_pct\":%g,"
	       "\"min_pps\":%" PRIu64 ",\"max_pps\":%" PRIu64 ",\"rate_pps\":%" PRIu64 ",\"limited_by\":",
	       p->cfg.size, p->cfg.trial_s, p->cfg.loss_pct, p->cfg.precision_pct, p->cfg.min_pps, max_pps, rate);
	printf(limited_by ? "\"%s\"" : "null", limited_by);
	printf(",\"trials\":[");
	for (unsigned int i = 0; i < s->n; i++) {
		const struct trial *t = &s->trials[i];

		printf("%s{\"offered_pps\":%" PRIu64 ",\"flood\":%s,\"sent\":%" PRIu64 ",\"received\":%" PRIu64
		       ",\"lost\":%" PRIu64 ",\"sent_pps\":%.0f,\"echoed_pps\":%.0f,\"rtt_us\":{\"p50\":%.1f,\"p99\":%.1f},"
		       "\"passed\":%s,\"failed_by\":",
		       i ? "," : "", t->offered_pps, t->offered_pps ? "false" : "true", t->sent, t->received,
		       t->sent - t->received, t->sent_pps, t->echoed_pps, t->p50_us, t->p99_us, t->failed_by ? "false" : "true");
		printf(t->failed_by ? "\"%s\"}" : "null}", t->failed_by);
	}
	printf("]},\"at_rate\":%s}\n", s->best_json ? s->best_json : "null");
}

/*
 * RFC 2544 26.1: the highest rate with loss within the tolerance. The first trial runs at the
 * upper bound (by default, a flood first measures what the tester can offer), then the interval
 * is halved until it is within the precision. What bounds the result is said: the DUT's loss
 * ("dut"), or a tester that could not offer more ("tester").
 */
static int search_rate(struct probe *p, struct search *s, uint64_t *max_pps, uint64_t *rate, const char **limited_by)
{
	uint64_t lo = p->cfg.min_pps, hi = p->cfg.max_pps;
	bool passed;
	int ret;

	if (hi == 0) {
		ret = search_trial(p, s, 0, &passed);
		if (ret < 0)
			return ret;
		hi = (uint64_t)llround(s->trials[0].sent_pps); /* as printed */
		/* Passed: the DUT took all the tester offers. Else if that is below the lower bound, the tester cannot test it. */
		if (passed || hi <= lo) {
			*rate = passed ? hi : 0;
			*limited_by = "tester";
			*max_pps = hi;
			return 0;
		}
	}
	*max_pps = hi;
	const uint64_t precision = (uint64_t)fmax(1, (double)hi * p->cfg.precision_pct / 100.0);
	uint64_t at = hi;

	for (;;) {
		ret = search_trial(p, s, at, &passed);
		if (ret < 0)
			return ret;
		if (passed) {
			*rate = lo = at;
			*limited_by = *limited_by ? *limited_by : "tester";
		} else {
			hi = at;
			*limited_by = strcmp(s->trials[s->n - 1].failed_by, "loss") == 0 ? "dut" : "tester";
		}
		if (stopping() || s->n == MAX_TRIALS || (*rate == 0 && at == lo))
			return 0;
		/* Bisect while the bounds are apart; if nothing passed on the way down, try the lower bound itself. */
		at = hi - lo > precision ? lo + (hi - lo) / 2 : *rate == 0 ? lo : 0;
		if (at == 0)
			return 0;
	}
}

static int run_search(struct probe *p)
{
	struct search s = { .n = 0 };
	uint64_t max_pps = 0, rate = 0;
	const char *limited_by = NULL;
	int ret = search_rate(p, &s, &max_pps, &rate, &limited_by);

	if (ret == 0)
		print_search(p, &s, max_pps, rate, limited_by);
	free(s.best_json);
	return ret;
}

/* Everything a run needs, allocated once: no run grows its memory. */
static int alloc_buffers(struct probe *p)
{
	struct results *r = &p->res;

	r->hist = calloc(HIST_BUCKETS, sizeof(*r->hist));
	r->window = calloc(WINDOW, sizeof(*r->window));
	r->flow_received = calloc(p->cfg.flows, sizeof(*r->flow_received));
	if (!r->hist || !r->window || !r->flow_received)
		return -ENOMEM;
	for (unsigned int i = 0; i < p->cfg.threads; i++) {
		p->senders[i].frames = calloc(BATCH, sizeof(*p->senders[i].frames));
		p->senders[i].flow_sent = calloc(p->cfg.flows, sizeof(*p->senders[i].flow_sent));
		if (!p->senders[i].frames || !p->senders[i].flow_sent)
			return -ENOMEM;
	}
	return 0;
}

static void free_buffers(struct probe *p)
{
	free(p->res.hist);
	free(p->res.window);
	free(p->res.flow_received);
	for (unsigned int i = 0; i < MAX_SENDERS; i++) {
		free(p->senders[i].frames);
		free(p->senders[i].flow_sent);
	}
}

int main(int argc, char **argv)
{
	struct probe p = { .fd = -1, .rx_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	if (parse_args(argc, argv, &p.cfg) != 0)
		return 2;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
		perror("l2probe: sigaction");
		return 1;
	}
	ret = alloc_buffers(&p);
	if (ret == 0)
		ret = open_sockets(&p);
	if (ret == 0 && p.cfg.search) {
		ret = run_search(&p);
	} else if (ret == 0) {
		const struct run_plan plan = { .pps = p.cfg.pps, .flood = p.cfg.flood, .count = p.cfg.count,
					       .duration_s = p.cfg.duration_s };

		ret = run_probe(&p, &plan);
		if (ret == 0) {
			print_run(stdout, &p);
			putchar('\n');
		}
	}
	if (ret != 0)
		fprintf(stderr, "l2probe: %s: %s\n", p.cfg.ifname, strerror(-ret));
	if (p.rx_fd >= 0 && p.rx_fd != p.fd)
		close(p.rx_fd);
	if (p.fd >= 0)
		close(p.fd);
	free_buffers(&p);
	return ret == 0 ? 0 : 1;
}
