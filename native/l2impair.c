/* SPDX-License-Identifier: MIT
 *
 * l2impair: an impaired wire between two or more interfaces, in user space, for hosts whose kernel
 * has no netem (CONFIG_NET_SCH_NETEM unset). Every frame that arrives on one port leaves on the
 * others (on the one its destination MAC was last seen behind, once learned) after netem's
 * impairments, drawn apart for each port it leaves on:
 *   - loss: dropped with the given probability;
 *   - delay and jitter: held for delay plus a uniform draw in [-jitter, +jitter], never below 0;
 *   - rate: each frame also waits for the one before it to finish at the given line rate.
 * A port's frames leave in the order they came (no reordering, unlike netem with jitter), and at
 * most QUEUE_LEN wait per port (netem's default limit); more are counted as overflow.
 *
 * One thread: ppoll until the next frame is due or a frame arrives, with a timer slack of 1 ns so
 * the wake-up is on time, and real-time scheduling, as netem's timers have in the kernel: on a
 * host whose every CPU runs a busy-polling DPDK lcore, a plain thread waits milliseconds for one. Prints a ready line when its sockets are bound, its counters as one JSON
 * line on SIGUSR1 and at the end, and stops on SIGINT/SIGTERM or when a port goes away.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "numbers.h"

#define PORTS_MAX 8
#define QUEUE_LEN 1000
#define SLOT_BYTES 9216 /* a jumbo frame; a larger one (a GSO super-frame) is counted as oversize */
#define FDB_SIZE 256    /* learned MACs: a lab's segment has a handful */
#define RX_BURST 64
#define MAX_DELAY_US 10000000u
#define RT_PRIORITY 10 /* SCHED_FIFO, below the kernel's own threads */

struct impairment {
	uint64_t delay_ns;
	uint64_t jitter_ns;
	double loss_pct;
	double rate_mbit; /* 0: no limit */
};

struct slot {
	uint64_t due_ns;
	uint32_t len;
	uint8_t data[SLOT_BYTES];
};

struct counters {
	uint64_t rx;
	uint64_t tx;
	uint64_t lost;
	uint64_t overflow;
	uint64_t oversize;
	uint64_t tx_errors;
};

struct port {
	const char *ifname;
	int ifindex;
	int fd;
	struct slot *queue; /* a ring of QUEUE_LEN: what waits to leave this port */
	unsigned int head;
	unsigned int count;
	uint64_t last_due_ns; /* keeps the order; with a rate, also when the line is free */
	struct counters n;
};

struct fdb_entry {
	uint8_t mac[ETH_ALEN];
	uint8_t port;
	bool used;
};

struct relay {
	struct impairment imp;
	const char *pidfile;
	unsigned int rt_priority;
	struct port ports[PORTS_MAX];
	unsigned int nports;
	struct fdb_entry fdb[FDB_SIZE];
	uint64_t rng;
	uint64_t loss_threshold; /* a draw below it is a loss */
};

/* Set by the signal handlers, read by the relay loop: lock-free atomics are async-signal-safe. */
static atomic_bool stop_requested;
static atomic_bool stats_requested;

static void on_stop(int signum)
{
	(void)signum;
	atomic_store_explicit(&stop_requested, true, memory_order_relaxed);
}

static void on_stats(int signum)
{
	(void)signum;
	atomic_store_explicit(&stats_requested, true, memory_order_relaxed);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: l2impair -i IFACE -i IFACE [-i IFACE ...] [options]\n"
		"  -i, --iface IFACE       a port of the wire (2 to %d)\n"
		"      --delay-us US       added one-way delay per frame (default 0)\n"
		"      --jitter-us US      uniform jitter around the delay, at most the delay (default 0)\n"
		"      --loss PCT          frames dropped, in percent, per port they leave on (default 0)\n"
		"      --rate-mbit MBIT    line rate each port sends at (default: no limit)\n"
		"      --seed N            the loss and jitter draws' seed (default: random)\n"
		"      --pidfile FILE      write the PID there first, remove it at the end\n"
		"      --rt-priority N     SCHED_FIFO priority, 0 for normal scheduling (default %d)\n",
		PORTS_MAX, RT_PRIORITY);
}

static int parse_args(int argc, char **argv, struct relay *r)
{
	enum { OPT_DELAY = 256, OPT_JITTER, OPT_LOSS, OPT_RATE, OPT_SEED, OPT_PIDFILE, OPT_RT };
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "delay-us", required_argument, NULL, OPT_DELAY },
		{ "jitter-us", required_argument, NULL, OPT_JITTER },
		{ "loss", required_argument, NULL, OPT_LOSS },
		{ "rate-mbit", required_argument, NULL, OPT_RATE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "rt-priority", required_argument, NULL, OPT_RT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	uint64_t v;
	int opt;

	while ((opt = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (r->nports == PORTS_MAX || strlen(optarg) >= IFNAMSIZ)
				goto bad;
			r->ports[r->nports++].ifname = optarg;
			break;
		case OPT_DELAY:
			if (parse_u64(optarg, 0, MAX_DELAY_US, &v) != 0)
				goto bad;
			r->imp.delay_ns = v * 1000u;
			break;
		case OPT_JITTER:
			if (parse_u64(optarg, 0, MAX_DELAY_US, &v) != 0)
				goto bad;
			r->imp.jitter_ns = v * 1000u;
			break;
		case OPT_LOSS:
			if (parse_double(optarg, -1, 100, &r->imp.loss_pct) != 0 || r->imp.loss_pct < 0)
				goto bad;
			break;
		case OPT_RATE:
			if (parse_double(optarg, 0, 1000000, &r->imp.rate_mbit) != 0)
				goto bad;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &r->rng) != 0)
				goto bad;
			seeded = true;
			break;
		case OPT_PIDFILE:
			r->pidfile = optarg;
			break;
		case OPT_RT:
			if (parse_u64(optarg, 0, 99, &v) != 0)
				goto bad;
			r->rt_priority = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || r->nports < 2) {
		fprintf(stderr, "l2impair: needs at least two ports (-i) and no other arguments\n");
		usage(stderr);
		return -1;
	}
	if (r->imp.jitter_ns > r->imp.delay_ns) {
		fprintf(stderr, "l2impair: --jitter-us may not exceed --delay-us (a frame cannot leave before it came)\n");
		return -1;
	}
	if (!seeded && getrandom(&r->rng, sizeof(r->rng), 0) != (ssize_t)sizeof(r->rng)) {
		perror("l2impair: getrandom");
		return -1;
	}
	/* 2^64 * pct / 100, computed in long double so 100 % maps to every draw. */
	r->loss_threshold = r->imp.loss_pct >= 100 ? UINT64_MAX : (uint64_t)((long double)r->imp.loss_pct / 100.0L * 18446744073709551616.0L);
	return 0;
bad:
	fprintf(stderr, "l2impair: bad value '%s'\n", optarg);
	usage(stderr);
	return -1;
}

/* splitmix64: fast, and a fixed seed gives the same losses and jitter every run. */
static uint64_t next_random(struct relay *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int open_port(struct port *p)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq promisc = { .mr_type = PACKET_MR_PROMISC };
	const int one = 1;

	p->ifindex = (int)if_nametoindex(p->ifname);
	if (p->ifindex == 0)
		return -errno;
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	/* Bound before it takes anything in, so no frame of another interface slips in. */
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return -errno;
	promisc.mr_ifindex = p->ifindex;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof(promisc)) != 0)
		return -errno;
	/* What this relay sends must not come back to it as received. */
	if (setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0)
		return -errno;
	p->queue = calloc(QUEUE_LEN, sizeof(*p->queue));
	return p->queue ? 0 : -ENOMEM;
}

static struct fdb_entry *fdb_slot(struct relay *r, const uint8_t mac[ETH_ALEN])
{
	unsigned int h = 0;

	for (int i = 0; i < ETH_ALEN; i++)
		h = h * 31u + mac[i];
	for (unsigned int i = 0; i < FDB_SIZE; i++) {
		struct fdb_entry *e = &r->fdb[(h + i) % FDB_SIZE];

		if (!e->used || memcmp(e->mac, mac, ETH_ALEN) == 0)
			return e;
	}
	return NULL;
}

static void learn(struct relay *r, const uint8_t src[ETH_ALEN], unsigned int port)
{
	struct fdb_entry *e;

	if (src[0] & 1)
		return;
	e = fdb_slot(r, src);
	if (!e)
		return; /* full: its frames are flooded, which still reaches them */
	*e = (struct fdb_entry){ .port = (uint8_t)port, .used = true };
	memcpy(e->mac, src, ETH_ALEN);
}

/* The port a destination was learned behind, or -1 to flood: group addresses, unknown MACs. */
static int lookup(struct relay *r, const uint8_t dst[ETH_ALEN])
{
	const struct fdb_entry *e;

	if (dst[0] & 1)
		return -1;
	e = fdb_slot(r, dst);
	return e && e->used ? e->port : -1;
}

/* When a frame of len bytes that came at now may leave: delay, jitter, order, line rate. */
static uint64_t due_time(struct relay *r, struct port *out, uint64_t now, uint32_t len)
{
	int64_t delay = (int64_t)r->imp.delay_ns;
	uint64_t due;

	if (r->imp.jitter_ns)
		delay += (int64_t)(next_random(r) % (2 * r->imp.jitter_ns + 1)) - (int64_t)r->imp.jitter_ns;
	due = now + (uint64_t)(delay > 0 ? delay : 0);
	if (due < out->last_due_ns)
		due = out->last_due_ns;
	if (r->imp.rate_mbit > 0)
		due += (uint64_t)((double)len * 8.0 * 1000.0 / r->imp.rate_mbit);
	return due;
}

static void enqueue(struct relay *r, struct port *out, const uint8_t *frame, uint32_t len, uint64_t now)
{
	struct slot *s;

	if (r->loss_threshold && next_random(r) < r->loss_threshold) {
		out->n.lost++;
		return;
	}
	if (out->count == QUEUE_LEN) {
		out->n.overflow++;
		return;
	}
	s = &out->queue[(out->head + out->count) % QUEUE_LEN];
	s->due_ns = due_time(r, out, now, len);
	s->len = len;
	memcpy(s->data, frame, len);
	out->last_due_ns = s->due_ns;
	out->count++;
}

static void forward(struct relay *r, unsigned int in, const uint8_t *frame, uint32_t len, uint64_t now)
{
	const int to = lookup(r, frame);

	learn(r, frame + ETH_ALEN, in);
	for (unsigned int i = 0; i < r->nports; i++) {
		if (i != in && (to < 0 || (unsigned int)to == i))
			enqueue(r, &r->ports[i], frame, len, now);
	}
}

/* Takes in every frame waiting on a port; -errno when the port failed (it went away). */
static int receive(struct relay *r, unsigned int in)
{
	static uint8_t frame[SLOT_BYTES];
	struct port *p = &r->ports[in];

	for (int i = 0; i < RX_BURST; i++) {
		const ssize_t len = recv(p->fd, frame, sizeof(frame), MSG_TRUNC);

		if (len < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		p->n.rx++;
		if ((size_t)len > sizeof(frame))
			p->n.oversize++;
		else if ((size_t)len >= sizeof(struct ether_header))
			forward(r, in, frame, (uint32_t)len, now_ns());
	}
	return 0;
}

/* Sends what is due on every port; returns when the next frame is due (UINT64_MAX: none waits). */
static uint64_t send_due(struct relay *r)
{
	const uint64_t now = now_ns();
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < r->nports; i++) {
		struct port *p = &r->ports[i];

		while (p->count && p->queue[p->head].due_ns <= now) {
			const struct slot *s = &p->queue[p->head];

			if (send(p->fd, s->data, s->len, 0) == (ssize_t)s->len)
				p->n.tx++;
			else
				p->n.tx_errors++;
			p->head = (p->head + 1) % QUEUE_LEN;
			p->count--;
		}
		if (p->count && p->queue[p->head].due_ns < next)
			next = p->queue[p->head].due_ns;
	}
	return next;
}

static void print_stats(const struct relay *r, const char *event)
{
	printf("{\"event\":\"%s\",\"ports\":[", event);
	for (unsigned int i = 0; i < r->nports; i++) {
		const struct port *p = &r->ports[i];

		printf("%s{\"iface\":\"%s\",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"overflow\":%" PRIu64
		       ",\"oversize\":%" PRIu64 ",\"tx_errors\":%" PRIu64 ",\"queued\":%u}",
		       i ? "," : "", p->ifname, p->n.rx, p->n.tx, p->n.lost, p->n.overflow, p->n.oversize, p->n.tx_errors, p->count);
	}
	printf("]}\n");
	fflush(stdout);
}

static void print_ready(const struct relay *r)
{
	printf("{\"event\":\"ready\",\"pid\":%d,\"ports\":[", (int)getpid());
	for (unsigned int i = 0; i < r->nports; i++)
		printf("%s\"%s\"", i ? "," : "", r->ports[i].ifname);
	printf("],\"delay_us\":%" PRIu64 ",\"jitter_us\":%" PRIu64 ",\"loss_pct\":%g,\"rate_mbit\":%g}\n",
	       r->imp.delay_ns / 1000u, r->imp.jitter_ns / 1000u, r->imp.loss_pct, r->imp.rate_mbit);
	fflush(stdout);
}

/* Signals reach the loop only inside ppoll, so a stop or stats request is never missed between checks. */
static int block_signals(sigset_t *during_wait)
{
	struct sigaction stop = { .sa_handler = on_stop, .sa_flags = SA_RESTART };
	struct sigaction stats = { .sa_handler = on_stats, .sa_flags = SA_RESTART };
	sigset_t blocked;

	sigemptyset(&blocked);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGUSR1);
	if (sigaction(SIGINT, &stop, NULL) != 0 || sigaction(SIGTERM, &stop, NULL) != 0 || sigaction(SIGUSR1, &stats, NULL) != 0)
		return -errno;
	if (sigprocmask(SIG_BLOCK, &blocked, during_wait) != 0)
		return -errno;
	sigdelset(during_wait, SIGINT);
	sigdelset(during_wait, SIGTERM);
	sigdelset(during_wait, SIGUSR1);
	return 0;
}

/* Why a port's socket failed: ENETDOWN once its interface is down or gone. */
static int port_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return -errno;
	return err ? -err : -ENODEV;
}

/* Which port failed, in *failed, and why. */
static int relay_loop(struct relay *r, const sigset_t *during_wait, unsigned int *failed)
{
	struct pollfd fds[PORTS_MAX];

	for (unsigned int i = 0; i < r->nports; i++)
		fds[i] = (struct pollfd){ .fd = r->ports[i].fd, .events = POLLIN };
	while (!atomic_load_explicit(&stop_requested, memory_order_relaxed)) {
		const uint64_t next = send_due(r);
		const uint64_t now = now_ns();
		struct timespec wait = { .tv_sec = 1 };
		int ready;

		if (next != UINT64_MAX)
			wait = next > now ? (struct timespec){ .tv_sec = (time_t)((next - now) / 1000000000u), .tv_nsec = (long)((next - now) % 1000000000u) } : (struct timespec){ 0 };
		ready = ppoll(fds, r->nports, &wait, during_wait);
		if (ready < 0 && errno != EINTR)
			return -errno;
		if (atomic_exchange_explicit(&stats_requested, false, memory_order_relaxed)) {
			print_stats(r, "stats");
		}
		for (unsigned int i = 0; ready > 0 && i < r->nports; i++) {
			int ret = 0;

			if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				ret = port_error(fds[i].fd);
			} else if (fds[i].revents & POLLIN) {
				ret = receive(r, i);
			}
			if (ret != 0) {
				*failed = i;
				return ret;
			}
		}
	}
	return 0;
}

/* Real-time where allowed; without the privilege it still relays, only later under load, and says so. */
static void set_priority(unsigned int priority)
{
	const struct sched_param param = { .sched_priority = (int)priority };

	if (priority && sched_setscheduler(0, SCHED_FIFO, &param) != 0)
		fprintf(stderr, "l2impair: no real-time scheduling (%s): delays grow when every CPU is busy\n", strerror(errno));
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	struct relay r = { .rt_priority = RT_PRIORITY };
	unsigned int failed = 0;
	sigset_t during_wait;
	int ret;

	if (parse_args(argc, argv, &r) != 0)
		return 2;
	for (unsigned int i = 0; i < r.nports; i++)
		r.ports[i].fd = -1;
	ret = block_signals(&during_wait);
	if (ret == 0 && r.pidfile)
		ret = write_pidfile(r.pidfile);
	/* Wake-ups on time: the default 50 us timer slack would add to every delay. */
	if (ret == 0 && prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
		ret = -errno;
	for (unsigned int i = 0; ret == 0 && i < r.nports; i++) {
		ret = open_port(&r.ports[i]);
		if (ret != 0)
			failed = i;
	}
	if (ret == 0) {
		set_priority(r.rt_priority);
		print_ready(&r);
		ret = relay_loop(&r, &during_wait, &failed);
		print_stats(&r, "exit");
	}
	if (ret != 0)
		fprintf(stderr, "l2impair: %s: %s\n", r.ports[failed].ifname ? r.ports[failed].ifname : "", strerror(-ret));
	for (unsigned int i = 0; i < r.nports; i++) {
		if (r.ports[i].fd >= 0)
			close(r.ports[i].fd);
		free(r.ports[i].queue);
	}
	if (r.pidfile)
		unlink(r.pidfile);
	return ret == 0 ? 0 : 1;
}
