/* SPDX-License-Identifier: MIT */
#include "echo_common.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define RX_DESC 1024
#define TX_DESC 1024
#define BURST 32
#define MBUF_CACHE 256
#define RSS_WANTED (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)
#define MAX_QUEUES 64

/* Per-queue counters, one cache line each so lcores never share a line. */
struct queue_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t dropped;
	unsigned int lcore;
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
	const char *rss_mode; /* "device", "backend" (tap/af_packet fan-out) or "none" */
	bool started;         /* the port was started, so it must be stopped */
	struct rte_ether_addr mac;
	struct rte_mempool *pools[MAX_QUEUES];
	struct queue_stats stats[MAX_QUEUES];
};

static void print_stats(const struct lab_app *app, const char *event);

static volatile sig_atomic_t force_quit;
static volatile sig_atomic_t stats_requested;

static void on_signal(int signum)
{
	if (signum == SIGUSR1)
		stats_requested = 1;
	else
		force_quit = 1;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGUSR1, &sa, NULL) != 0)
		return -errno;
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- [-p PORT] [-i SECONDS]\n"
		"  -p, --port PORT            ethdev port to echo on (default 0)\n"
		"  -i, --stats-interval SECS  print counters every SECS seconds (default 0: on SIGUSR1 and at exit)\n",
		prog);
}

static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || *out > max)
		return -1;
	return 0;
}

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
		default:
			usage(prog);
			return -1;
		}
	}
	if (optind != argc) {
		usage(prog);
		return -1;
	}
	return 0;
}

/* The multiqueue pitfall, explained where it happens instead of as -22 from rte_eth_dev_configure. */
static int check_queue_count(const struct lab_app *app, const struct rte_eth_dev_info *info)
{
	uint16_t offered = RTE_MIN(info->max_rx_queues, info->max_tx_queues);

	if (app->nb_queues <= offered)
		return 0;
	fprintf(stderr,
		"%s: port %u (%s) offers %u RX/TX queue pair(s), but %u lcores need %u.\n"
		"  Each lcore polls its own queue, so the device must offer one queue per lcore.\n"
		"  On virtio-net, give the device mq=on and its tap queues=%u\n"
		"  (-netdev tap,...,queues=%u -device virtio-net-pci,...,mq=on,vectors=%u; in lab.yaml: nics[].queues: %u),\n"
		"  or run with fewer lcores (-l).\n",
		app->name, app->opts.port_id, info->driver_name, offered, app->nb_queues, app->nb_queues,
		app->nb_queues, app->nb_queues, 2 * app->nb_queues + 2, app->nb_queues);
	return -EINVAL;
}

static int create_pools(struct lab_app *app, unsigned int nb_mbufs)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int lcore = 0;
	uint16_t q = 0;

	/* A pool per queue, on the NUMA socket of the lcore that polls it: nothing is shared. */
	RTE_LCORE_FOREACH(lcore) {
		if (q == app->nb_queues)
			break;
		snprintf(name, sizeof(name), "%s_pool_%u", app->name, q);
		app->pools[q] = rte_pktmbuf_pool_create(name, nb_mbufs, MBUF_CACHE, 0,
							RTE_MBUF_DEFAULT_BUF_SIZE,
							(int)rte_lcore_to_socket_id(lcore));
		if (app->pools[q] == NULL) {
			fprintf(stderr, "%s: cannot create mbuf pool %s: %s\n", app->name, name,
				rte_strerror(rte_errno));
			return -rte_errno;
		}
		q++;
	}
	return q == app->nb_queues ? 0 : -EINVAL;
}

/* Asks for device RSS where the device offers hash types; if it refuses, the backend spreads flows. */
static int configure_port(struct lab_app *app, const struct rte_eth_dev_info *info)
{
	struct rte_eth_conf conf;
	uint64_t rss_hf = RSS_WANTED & info->flow_type_rss_offloads;
	uint16_t port = app->opts.port_id;
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
	if (app->nb_queues > 1)
		app->rss_mode = "backend";
	return rte_eth_dev_configure(port, app->nb_queues, app->nb_queues, &conf);
}

static int setup_queues(struct lab_app *app, const struct rte_eth_dev_info *info)
{
	uint16_t port = app->opts.port_id;
	uint16_t nb_rxd = RX_DESC;
	uint16_t nb_txd = TX_DESC;
	struct rte_eth_txconf txconf = info->default_txconf;
	int socket = rte_eth_dev_socket_id(port);
	int ret;

	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, (unsigned int)socket, NULL, app->pools[q]);
		if (ret < 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, (unsigned int)socket, &txconf);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int port_init(struct lab_app *app)
{
	struct rte_eth_dev_info info;
	uint16_t port = app->opts.port_id;
	int ret;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "%s: port %u does not exist (%u port(s) available)\n", app->name, port,
			rte_eth_dev_count_avail());
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	ret = check_queue_count(app, &info);
	if (ret != 0)
		return ret;
	ret = create_pools(app, 2 * (RX_DESC + TX_DESC) - 1);
	if (ret != 0)
		return ret;
	ret = configure_port(app, &info);
	if (ret != 0) {
		fprintf(stderr, "%s: cannot configure port %u: %s\n", app->name, port, rte_strerror(-ret));
		return ret;
	}
	ret = setup_queues(app, &info);
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
	return rte_eth_macaddr_get(port, &app->mac);
}

static void port_close(struct lab_app *app)
{
	uint16_t port = app->opts.port_id;
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

static inline void swap_macs(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr tmp;

	rte_ether_addr_copy(&eth->src_addr, &tmp);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&tmp, &eth->dst_addr);
}

/* Only the main lcore prints, on request or on its interval; the others never leave the fast path. */
static void service_stats(const struct lab_app *app, uint64_t *next_tsc)
{
	uint64_t now;

	if (stats_requested) {
		stats_requested = 0;
		print_stats(app, "stats");
	}
	if (app->opts.stats_interval_s == 0)
		return;
	now = rte_get_tsc_cycles();
	if (now >= *next_tsc) {
		print_stats(app, "stats");
		*next_tsc = now + (uint64_t)app->opts.stats_interval_s * rte_get_tsc_hz();
	}
}

static int echo_lcore(void *arg)
{
	struct lab_app *app = arg;
	struct rte_mbuf *bufs[BURST];
	const int index = rte_lcore_index((int)rte_lcore_id());
	const bool is_main = rte_lcore_id() == rte_get_main_lcore();
	const uint16_t port = app->opts.port_id;
	uint64_t next_tsc = rte_get_tsc_cycles();
	struct queue_stats *st;
	uint16_t queue;

	if (index < 0 || index >= app->nb_queues)
		return 0;
	queue = (uint16_t)index;
	st = &app->stats[queue];
	st->lcore = rte_lcore_id();

	while (!force_quit) {
		const uint16_t nb_rx = rte_eth_rx_burst(port, queue, bufs, BURST);
		uint16_t nb_tx;

		if (is_main)
			service_stats(app, &next_tsc);
		if (nb_rx == 0)
			continue;
		for (uint16_t i = 0; i < nb_rx; i++)
			swap_macs(bufs[i]);
		nb_tx = rte_eth_tx_burst(port, queue, bufs, nb_rx);
		st->rx += nb_rx;
		st->tx += nb_tx;
		if (nb_tx < nb_rx) {
			st->dropped += (uint64_t)(nb_rx - nb_tx);
			rte_pktmbuf_free_bulk(&bufs[nb_tx], (unsigned int)(nb_rx - nb_tx));
		}
	}
	return 0;
}

static void print_ready(const struct lab_app *app)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_eth_dev_info info;
	unsigned int lcore;
	const char *sep = "";
	int n = 0;

	rte_ether_format_addr(mac, sizeof(mac), &app->mac);
	if (rte_eth_dev_info_get(app->opts.port_id, &info) != 0)
		info.driver_name = "unknown";
	printf("{\"event\":\"ready\",\"app\":\"%s\",\"port\":%u,\"driver\":\"%s\",\"mac\":\"%s\",\"queues\":%u,\"rss\":\"%s\",\"lcores\":[",
	       app->name, app->opts.port_id, info.driver_name, mac, app->nb_queues, app->rss_mode);
	RTE_LCORE_FOREACH(lcore) {
		if (n++ == app->nb_queues)
			break;
		printf("%s%u", sep, lcore);
		sep = ",";
	}
	printf("]}\n");
	fflush(stdout);
}

static void print_stats(const struct lab_app *app, const char *event)
{
	struct rte_eth_stats port_stats;
	uint64_t rx = 0, tx = 0, dropped = 0;

	if (rte_eth_stats_get(app->opts.port_id, &port_stats) != 0)
		memset(&port_stats, 0, sizeof(port_stats));
	printf("{\"event\":\"%s\",\"app\":\"%s\",\"port\":%u,\"queues\":[", event, app->name, app->opts.port_id);
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		const struct queue_stats *st = &app->stats[q];

		printf("%s{\"queue\":%u,\"lcore\":%u,\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
		       q ? "," : "", q, st->lcore, st->rx, st->tx, st->dropped);
		rx += st->rx;
		tx += st->tx;
		dropped += st->dropped;
	}
	printf("],\"total\":{\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"dropped\":%" PRIu64 "},"
	       "\"port_stats\":{\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64 ",\"imissed\":%" PRIu64
	       ",\"ierrors\":%" PRIu64 ",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "}}\n",
	       rx, tx, dropped, port_stats.ipackets, port_stats.opackets, port_stats.imissed,
	       port_stats.ierrors, port_stats.oerrors, port_stats.rx_nombuf);
	fflush(stdout);
}

static int run(struct lab_app *app, int argc, char **argv)
{
	int ret;

	if (parse_options(app->name, argc, argv, &app->opts) != 0)
		return 2;
	ret = install_signals();
	if (ret != 0) {
		fprintf(stderr, "%s: cannot install signal handlers: %s\n", app->name, strerror(-ret));
		return 1;
	}
	if (app->nb_queues > MAX_QUEUES) {
		fprintf(stderr, "%s: %u lcores, but at most %u queues are supported\n", app->name, app->nb_queues, MAX_QUEUES);
		return 2;
	}
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
