/* SPDX-License-Identifier: MIT */
#include "echo_common.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define RX_DESC 1024
#define TX_DESC 1024
#define BURST 32
#define MBUF_CACHE 256
#define RSS_WANTED (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)
#define MAX_QUEUES 64
/* How long the port may take to report link up before the app says it is ready anyway (as l2fwd). */
#define LINK_WAIT_MS 9000
#define LINK_POLL_MS 100
/* How often a main lcore that polls no queue looks for a stats request or the quit flag. */
#define SERVICE_POLL_US 1000

/*
 * Per-queue counters, one cache line each so lcores never share a line. Each has one writer (the
 * lcore polling the queue) and is read by the main lcore: relaxed atomic loads and stores, no lock.
 */
struct queue_stats {
	uint64_t rx;       /* frames received */
	uint64_t tx;       /* frames echoed */
	uint64_t dropped;  /* frames the TX queue would not take */
	uint64_t filtered; /* frames not echoed: shorter than an Ethernet header, or sent to a group address */
} __rte_cache_aligned;

struct options {
	uint16_t port_id;
	unsigned int stats_interval_s; /* 0: only on SIGUSR1 and at exit */
};

struct lab_app {
	const char *name;
	struct options opts;
	uint16_t nb_queues;
	bool want_rss;
	const char *rss_mode; /* "device", "backend" (the tap's or af_packet's flow spreading) or "none" */
	bool started;         /* the port was started, so it must be stopped */
	bool link_up;
	struct rte_ether_addr mac;
	char driver[RTE_ETH_NAME_MAX_LEN];
	/* Queue q is polled by the lcore whose rte_lcore_index() is q: -l order, not lcore id order. */
	unsigned int queue_lcore[MAX_QUEUES];
	struct rte_mempool *pools[MAX_QUEUES];
	struct queue_stats stats[MAX_QUEUES];
};

/* Written by the signal handler, read by every lcore: lock-free atomics are async-signal-safe. */
static atomic_bool force_quit;
static atomic_bool stats_requested;

static inline void counter_add(uint64_t *counter, uint64_t n)
{
	/* One writer: a load and a store, no read-modify-write on the bus. */
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t counter_get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static inline bool quitting(void)
{
	return atomic_load_explicit(&force_quit, memory_order_relaxed);
}

static void on_signal(int signum)
{
	if (signum == SIGUSR1)
		atomic_store_explicit(&stats_requested, true, memory_order_relaxed);
	else
		atomic_store_explicit(&force_quit, true, memory_order_relaxed);
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* A signal during a blocked write of a JSON line must not cut or lose the line. */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGUSR1, &sa, NULL) != 0)
		return -errno;
	return 0;
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [EAL options] -- [-p PORT] [-i SECONDS]\n"
		"  -p, --port PORT            ethdev port to echo on (default 0)\n"
		"  -i, --stats-interval SECS  print counters every SECS seconds (default 0: on SIGUSR1 and at exit)\n"
		"  -h, --help                 this text\n",
		prog);
}

static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || *out > max)
		return -1;
	return 0;
}

/* Returns 0 to run, 1 when --help was answered, -1 on a usage error. */
static int parse_options(const char *prog, int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "stats-interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long value;
	int opt;

	opts->port_id = 0;
	opts->stats_interval_s = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:i:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_uint(optarg, RTE_MAX_ETHPORTS - 1, &value) != 0) {
				fprintf(stderr, "%s: invalid port '%s'\n", prog, optarg);
				return -1;
			}
			opts->port_id = (uint16_t)value;
			break;
		case 'i':
			if (parse_uint(optarg, 86400, &value) != 0) {
				fprintf(stderr, "%s: invalid stats interval '%s'\n", prog, optarg);
				return -1;
			}
			opts->stats_interval_s = (unsigned int)value;
			break;
		case 'h':
			usage(stdout, prog);
			return 1;
		default:
			usage(stderr, prog);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr, prog);
		return -1;
	}
	return 0;
}

/* Queue q goes to the lcore with index q in the -l list; the lcores past the queues poll nothing. */
static void map_queues(struct lab_app *app)
{
	unsigned int lcore;

	RTE_LCORE_FOREACH(lcore) {
		const int index = rte_lcore_index((int)lcore);

		if (index >= 0 && index < app->nb_queues)
			app->queue_lcore[index] = lcore;
	}
}

/* The multiqueue pitfall, explained where it happens instead of as -22 from rte_eth_dev_configure. */
static int check_queue_count(const struct lab_app *app, const struct rte_eth_dev_info *info)
{
	const uint16_t offered = RTE_MIN(info->max_rx_queues, info->max_tx_queues);
	const unsigned int n = app->nb_queues;

	if (n <= offered)
		return 0;
	fprintf(stderr,
		"%s: port %u (%s) offers %u RX/TX queue pair(s), but %u lcores need %u.\n"
		"  Each lcore polls its own queue, so the device must offer one queue per lcore.\n",
		app->name, app->opts.port_id, info->driver_name, offered, n, n);
	if (strstr(info->driver_name, "virtio") != NULL)
		fprintf(stderr,
			"  On virtio-net, give the device mq=on and its tap queues=%u\n"
			"  (-netdev tap,...,queues=%u -device virtio-net-pci,...,mq=on,vectors=%u; in lab.yaml: nics[].queues: %u),\n",
			n, n, 2 * n + 2, n);
	else if (strstr(info->driver_name, "af_packet") != NULL)
		fprintf(stderr,
			"  On af_packet, give the vdev one socket per queue: --vdev net_af_packet0,iface=...,qpairs=%u\n"
			"  (in lab.yaml: nics[].queues: %u),\n",
			n, n);
	else
		fprintf(stderr, "  Give the device at least %u queues,\n", n);
	fprintf(stderr, "  or run with fewer lcores (-l).\n");
	return -EINVAL;
}

/*
 * Asks for device RSS where the device offers hash types; if it refuses, flows are spread only
 * where the backend does it: the tap behind virtio-net (its own flow steering) and af_packet
 * (a fan-out group per port).
 */
static int configure_port(struct lab_app *app, const struct rte_eth_dev_info *info)
{
	struct rte_eth_conf conf;
	const uint64_t rss_hf = RSS_WANTED & info->flow_type_rss_offloads;
	const uint16_t port = app->opts.port_id;
	const bool backend_spreads = strstr(info->driver_name, "virtio") != NULL ||
				     strstr(info->driver_name, "af_packet") != NULL;
	int ret;

	memset(&conf, 0, sizeof(conf));
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	app->rss_mode = "none";
	if (app->nb_queues > 1 && app->want_rss && rss_hf != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
		ret = rte_eth_dev_configure(port, app->nb_queues, app->nb_queues, &conf);
		if (ret == 0) {
			app->rss_mode = "device";
			return 0;
		}
		if (ret != -ENOTSUP)
			return ret;
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		conf.rx_adv_conf.rss_conf.rss_hf = 0;
	}
	if (app->nb_queues > 1 && backend_spreads)
		app->rss_mode = "backend";
	return rte_eth_dev_configure(port, app->nb_queues, app->nb_queues, &conf);
}

/* A pool per queue, sized for its descriptors, on the NUMA socket of the lcore that polls it. */
static int create_pools(struct lab_app *app, uint16_t nb_rxd, uint16_t nb_txd)
{
	/* The RX ring, what TX still holds (echoes go out on the same queue), a burst and the lcore's cache. */
	const unsigned int nb_mbufs = rte_align32pow2((unsigned int)nb_rxd + nb_txd + BURST + MBUF_CACHE) - 1;
	char name[RTE_MEMPOOL_NAMESIZE];

	for (uint16_t q = 0; q < app->nb_queues; q++) {
		snprintf(name, sizeof(name), "%s_pool_%u", app->name, q);
		app->pools[q] = rte_pktmbuf_pool_create(name, nb_mbufs, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
							(int)rte_lcore_to_socket_id(app->queue_lcore[q]));
		if (app->pools[q] == NULL) {
			fprintf(stderr, "%s: cannot create mbuf pool %s: %s\n", app->name, name, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

static int setup_queues(struct lab_app *app, const struct rte_eth_dev_info *info, uint16_t nb_rxd, uint16_t nb_txd)
{
	const uint16_t port = app->opts.port_id;
	struct rte_eth_txconf txconf = info->default_txconf;
	int ret;

	for (uint16_t q = 0; q < app->nb_queues; q++) {
		const unsigned int socket = rte_lcore_to_socket_id(app->queue_lcore[q]);

		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, app->pools[q]);
		if (ret < 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, &txconf);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Waits, as l2fwd does, for the link before saying the app is ready; a link that stays down is said, not fatal. */
static void wait_link(struct lab_app *app)
{
	struct rte_eth_link link;

	for (unsigned int waited = 0; waited <= LINK_WAIT_MS && !quitting(); waited += LINK_POLL_MS) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(app->opts.port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) {
			app->link_up = true;
			return;
		}
		rte_delay_ms(LINK_POLL_MS);
	}
	fprintf(stderr, "%s: port %u: link still down after %u ms (continuing)\n", app->name, app->opts.port_id, LINK_WAIT_MS);
}

static int port_init(struct lab_app *app)
{
	struct rte_eth_dev_info info;
	const uint16_t port = app->opts.port_id;
	uint16_t nb_rxd = RX_DESC;
	uint16_t nb_txd = TX_DESC;
	int ret;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "%s: port %u does not exist (%u port(s) available)\n", app->name, port, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	snprintf(app->driver, sizeof(app->driver), "%s", info.driver_name);
	ret = check_queue_count(app, &info);
	if (ret != 0)
		return ret;
	ret = configure_port(app, &info);
	if (ret != 0) {
		fprintf(stderr, "%s: cannot configure port %u: %s\n", app->name, port, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0) {
		fprintf(stderr, "%s: port %u: cannot adjust descriptor counts: %s\n", app->name, port, rte_strerror(-ret));
		return ret;
	}
	ret = create_pools(app, nb_rxd, nb_txd);
	if (ret != 0)
		return ret;
	ret = setup_queues(app, &info, nb_rxd, nb_txd);
	if (ret != 0) {
		fprintf(stderr, "%s: cannot set up queues on port %u: %s\n", app->name, port, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0) {
		fprintf(stderr, "%s: cannot start port %u: %s\n", app->name, port, rte_strerror(-ret));
		return ret;
	}
	app->started = true;
	/* Frames come addressed to us; promiscuous mode only matters where a device filters, so a refusal is not fatal. */
	ret = rte_eth_promiscuous_enable(port);
	if (ret != 0 && ret != -ENOTSUP)
		fprintf(stderr, "%s: port %u: promiscuous mode: %s (continuing)\n", app->name, port, rte_strerror(-ret));
	ret = rte_eth_macaddr_get(port, &app->mac);
	if (ret != 0)
		return ret;
	wait_link(app);
	return 0;
}

static void port_close(struct lab_app *app)
{
	const uint16_t port = app->opts.port_id;
	int ret;

	if (rte_eth_dev_is_valid_port(port)) {
		if (app->started) {
			ret = rte_eth_dev_stop(port);
			if (ret != 0)
				fprintf(stderr, "%s: stopping port %u: %s\n", app->name, port, rte_strerror(-ret));
			app->started = false;
		}
		ret = rte_eth_dev_close(port);
		if (ret != 0)
			fprintf(stderr, "%s: closing port %u: %s\n", app->name, port, rte_strerror(-ret));
	}
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		rte_mempool_free(app->pools[q]);
		app->pools[q] = NULL;
	}
}

static void print_ready(const struct lab_app *app)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(mac, sizeof(mac), &app->mac);
	printf("{\"event\":\"ready\",\"app\":\"%s\",\"port\":%u,\"driver\":\"%s\",\"mac\":\"%s\",\"queues\":%u,\"rss\":\"%s\",\"link\":\"%s\",\"lcores\":[",
	       app->name, app->opts.port_id, app->driver, mac, app->nb_queues, app->rss_mode, app->link_up ? "up" : "down");
	for (uint16_t q = 0; q < app->nb_queues; q++)
		printf("%s%u", q ? "," : "", app->queue_lcore[q]);
	printf("]}\n");
	fflush(stdout);
}

static void print_stats(const struct lab_app *app, const char *event)
{
	struct rte_eth_stats port_stats;
	uint64_t rx = 0, tx = 0, dropped = 0, filtered = 0;

	if (rte_eth_stats_get(app->opts.port_id, &port_stats) != 0)
		memset(&port_stats, 0, sizeof(port_stats));
	printf("{\"event\":\"%s\",\"app\":\"%s\",\"port\":%u,\"queues\":[", event, app->name, app->opts.port_id);
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		const struct queue_stats *st = &app->stats[q];
		const uint64_t q_rx = counter_get(&st->rx), q_tx = counter_get(&st->tx);
		const uint64_t q_dropped = counter_get(&st->dropped), q_filtered = counter_get(&st->filtered);

		printf("%s{\"queue\":%u,\"lcore\":%u,\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"filtered\":%" PRIu64 "}",
		       q ? "," : "", q, app->queue_lcore[q], q_rx, q_tx, q_dropped, q_filtered);
		rx += q_rx;
		tx += q_tx;
		dropped += q_dropped;
		filtered += q_filtered;
	}
	printf("],\"total\":{\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"filtered\":%" PRIu64 "},"
	       "\"port_stats\":{\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64 ",\"imissed\":%" PRIu64
	       ",\"ierrors\":%" PRIu64 ",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "}}\n",
	       rx, tx, dropped, filtered, port_stats.ipackets, port_stats.opackets, port_stats.imissed,
	       port_stats.ierrors, port_stats.oerrors, port_stats.rx_nombuf);
	fflush(stdout);
}

/* Only the main lcore prints, on request or on its interval, and never between RX and TX. */
static void service_stats(const struct lab_app *app, uint64_t *next_tsc)
{
	uint64_t now;

	if (atomic_exchange_explicit(&stats_requested, false, memory_order_relaxed))
		print_stats(app, "stats");
	if (app->opts.stats_interval_s == 0)
		return;
	now = rte_get_tsc_cycles();
	if (now >= *next_tsc) {
		print_stats(app, "stats");
		*next_tsc = now + (uint64_t)app->opts.stats_interval_s * rte_get_tsc_hz();
	}
}

/* Not echoed: a runt (its MACs would be stale bytes) or a frame to a group address (the echo would have it as its source). */
static inline bool echoable(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;

	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr))
		return false;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	return !rte_is_multicast_ether_addr(&eth->dst_addr);
}

static inline void swap_macs(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr tmp;

	rte_ether_addr_copy(&eth->src_addr, &tmp);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&tmp, &eth->dst_addr);
}

/* One burst: receive, keep what can be echoed, swap its MACs, send it back on the same queue. */
static inline void echo_burst(uint16_t port, uint16_t queue, struct queue_stats *st)
{
	struct rte_mbuf *bufs[BURST];
	const uint16_t nb_rx = rte_eth_rx_burst(port, queue, bufs, BURST);
	uint16_t nb_echo = 0;
	uint16_t nb_tx;

	if (nb_rx == 0)
		return;
	for (uint16_t i = 0; i < nb_rx; i++) {
		if (echoable(bufs[i])) {
			swap_macs(bufs[i]);
			bufs[nb_echo++] = bufs[i];
		} else {
			rte_pktmbuf_free(bufs[i]);
		}
	}
	nb_tx = nb_echo ? rte_eth_tx_burst(port, queue, bufs, nb_echo) : 0;
	if (nb_tx < nb_echo)
		rte_pktmbuf_free_bulk(&bufs[nb_tx], (unsigned int)(nb_echo - nb_tx));
	counter_add(&st->rx, nb_rx);
	counter_add(&st->tx, nb_tx);
	if (nb_echo < nb_rx)
		counter_add(&st->filtered, (uint64_t)(nb_rx - nb_echo));
	if (nb_tx < nb_echo)
		counter_add(&st->dropped, (uint64_t)(nb_echo - nb_tx));
}

static int echo_lcore(void *arg)
{
	struct lab_app *app = arg;
	const int index = rte_lcore_index((int)rte_lcore_id());
	const bool is_main = rte_lcore_id() == rte_get_main_lcore();
	const bool polls = index >= 0 && index < app->nb_queues;
	const uint16_t port = app->opts.port_id;
	uint64_t next_tsc = rte_get_tsc_cycles();

	if (!polls && !is_main)
		return 0;
	while (!quitting()) {
		if (polls)
			echo_burst(port, (uint16_t)index, &app->stats[index]);
		if (is_main)
			service_stats(app, &next_tsc);
		/* A main lcore with no queue only serves requests: it has no reason to spin. */
		if (!polls)
			usleep(SERVICE_POLL_US);
	}
	return 0;
}

static int run(struct lab_app *app, int argc, char **argv)
{
	int ret;

	ret = parse_options(app->name, argc, argv, &app->opts);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	ret = install_signals();
	if (ret != 0) {
		fprintf(stderr, "%s: cannot install signal handlers: %s\n", app->name, strerror(-ret));
		return 1;
	}
	if (app->nb_queues > MAX_QUEUES) {
		fprintf(stderr, "%s: %u lcores, but at most %u queues are supported\n", app->name, app->nb_queues, MAX_QUEUES);
		return 2;
	}
	map_queues(app);
	ret = port_init(app);
	if (ret != 0) {
		port_close(app);
		return 1;
	}
	print_ready(app);
	ret = rte_eal_mp_remote_launch(echo_lcore, app, CALL_MAIN);
	if (ret != 0)
		fprintf(stderr, "%s: cannot launch lcores: %s\n", app->name, rte_strerror(-ret));
	rte_eal_mp_wait_lcore();
	print_stats(app, "exit");
	port_close(app);
	return ret == 0 ? 0 : 1;
}

int lab_main(const struct lab_app_def *def, int argc, char **argv)
{
	static struct lab_app app; /* large (per-queue cache lines): not on the stack */
	int consumed;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	consumed = rte_eal_init(argc, argv);
	if (consumed < 0) {
		fprintf(stderr, "%s: cannot initialise EAL: %s\n", def->name, rte_strerror(rte_errno));
		return 1;
	}
	app.name = def->name;
	app.want_rss = def->queue_per_lcore;
	app.nb_queues = def->queue_per_lcore ? (uint16_t)rte_lcore_count() : 1;
	status = run(&app, argc - consumed, argv + consumed);
	if (rte_eal_cleanup() != 0)
		fprintf(stderr, "%s: EAL clean-up failed\n", def->name);
	return status;
}
