/* SPDX-License-Identifier: MIT
 *
 * The shape of your own DPDK program under lab: one port, one queue, one lcore; every frame goes
 * back out of the port it came in on with its MACs swapped. lab builds it (make), starts it with
 * the EAL arguments for the node (the NIC, the lcores, --file-prefix), knows it ready and reads its
 * counters through DPDK's telemetry, and verifies it as it verifies its own echo apps.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define RING_SIZE 1024
#define POOL_SIZE 8191
#define BURST 32

static atomic_bool stop_requested;

static void on_signal(int signum)
{
	(void)signum;
	atomic_store(&stop_requested, true);
}

static int port_init(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t rx = RING_SIZE, tx = RING_SIZE;
	int ret;

	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx, &tx);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, rx, rte_eth_dev_socket_id(port), NULL, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, tx, rte_eth_dev_socket_id(port), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret == 0)
		ret = rte_eth_promiscuous_enable(port);
	return ret;
}

static void swap_macs(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr tmp = eth->src_addr;

	eth->src_addr = eth->dst_addr;
	eth->dst_addr = tmp;
}

static void echo_loop(uint16_t port)
{
	struct rte_mbuf *bufs[BURST];

	while (!atomic_load(&stop_requested)) {
		const uint16_t n = rte_eth_rx_burst(port, 0, bufs, BURST);

		for (uint16_t i = 0; i < n; i++)
			swap_macs(bufs[i]);
		const uint16_t sent = rte_eth_tx_burst(port, 0, bufs, n);

		for (uint16_t i = sent; i < n; i++)
			rte_pktmbuf_free(bufs[i]);
	}
}

int main(int argc, char **argv)
{
	struct rte_mempool *pool;
	const uint16_t port = 0;

	if (rte_eal_init(argc, argv) < 0)
		rte_exit(EXIT_FAILURE, "cannot initialise EAL\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() < 1)
		rte_exit(EXIT_FAILURE, "no port: give EAL a NIC\n");
	pool = rte_pktmbuf_pool_create("pool", POOL_SIZE, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the mbuf pool\n");
	if (port_init(port, pool) != 0)
		rte_exit(EXIT_FAILURE, "cannot start port %u\n", port);
	printf("macswap: port %u started\n", port);
	fflush(stdout);
	echo_loop(port);
	if (rte_eth_dev_stop(port) != 0)
		fprintf(stderr, "macswap: stopping port %u failed\n", port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	return EXIT_SUCCESS;
}
