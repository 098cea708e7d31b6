/* SPDX-License-Identifier: MIT
 *
 * telemetry_query: asks a running DPDK application's telemetry socket (DPDK >= 20.05,
 * <runtime dir>/dpdk_telemetry.v2, a SOCK_SEQPACKET unix socket) one or more commands and prints
 * each reply, a JSON object, on a line of its own:
 *
 *   telemetry_query [-w MS] SOCKET /ethdev/list /ethdev/stats,0 ...
 *
 * lab reads counters and readiness this way from any DPDK program, its own or not. Node has no
 * SOCK_SEQPACKET and Python costs about a second a start under TCG; this costs a few milliseconds.
 * The socket first sends a JSON banner with the largest reply it will send (max_output_len); each
 * command is then one message, and each reply one message.
 *
 * Exit codes: 0 every reply printed; 1 the socket is not there or refused (the app has not started
 * its telemetry yet, or runs with --no-telemetry) after waiting up to -w MS; 2 usage; 3 the socket
 * failed mid-way; 4 the application accepted but did not answer within REPLY_TIMEOUT_S (it is
 * stopped or hung: its telemetry thread answers while the process runs at all).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BANNER_MAX 1024
#define REPLY_MAX_DEFAULT 16384
#define REPLY_MAX_LIMIT (16 * 1024 * 1024)
#define RETRY_NS 20000000L /* 20 ms between attempts while waiting for the socket */
#define REPLY_TIMEOUT_S 5
#define EXIT_NO_ANSWER 4

static void usage(FILE *out)
{
	fprintf(out, "usage: telemetry_query [-w MS] SOCKET COMMAND...\n"
		     "  -w MS  wait up to MS milliseconds for the socket to accept (default 0)\n");
}

static long now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Connects, retrying while the socket is missing or not yet listening, until wait_ms has passed. */
static int connect_socket(const char *path, long wait_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const long deadline = now_ms() + wait_ms;
	const struct timespec pause = { .tv_nsec = RETRY_NS };

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "telemetry_query: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, "telemetry_query: socket: %s\n", strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			/* A stopped application's socket still accepts (the kernel queues the connection): bound the wait for its answers. */
			const struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };

			if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) == 0)
				return fd;
			fprintf(stderr, "telemetry_query: setsockopt: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
		const int err = errno;

		close(fd);
		if ((err != ENOENT && err != ECONNREFUSED) || now_ms() >= deadline) {
			fprintf(stderr, "telemetry_query: cannot connect to %s: %s\n", path, strerror(err));
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

/* The banner's max_output_len: how large a reply can be. */
static size_t reply_limit(const char *banner)
{
	const char *key = strstr(banner, "\"max_output_len\":");
	long n;

	if (key == NULL)
		return REPLY_MAX_DEFAULT;
	n = strtol(key + strlen("\"max_output_len\":"), NULL, 10);
	if (n <= 0 || n > REPLY_MAX_LIMIT)
		return REPLY_MAX_DEFAULT;
	return (size_t)n;
}

/* Set when a reply did not come in time, for the exit code. */
static int no_answer;

/* Receives one message into buf (NUL-terminated); its length, or -1. */
static ssize_t receive_message(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = recv(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fprintf(stderr, "telemetry_query: no answer within %d s\n", REPLY_TIMEOUT_S);
		no_answer = 1;
		return -1;
	}
	if (n < 0) {
		fprintf(stderr, "telemetry_query: recv: %s\n", strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "telemetry_query: the application closed the socket\n");
		return -1;
	}
	buf[n] = '\0';
	return n;
}

static int query(int fd, const char *command, char *reply, size_t size)
{
	ssize_t sent;

	do
		sent = send(fd, command, strlen(command), MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		fprintf(stderr, "telemetry_query: send %s: %s\n", command, strerror(errno));
		return -1;
	}
	if (receive_message(fd, reply, size) < 0)
		return -1;
	if (printf("%s\n", reply) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "telemetry_query: cannot write the reply: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_wait(const char *text, long *wait_ms)
{
	char *end;

	errno = 0;
	*wait_ms = strtol(text, &end, 10);
	return errno == 0 && *end == '\0' && end != text && *wait_ms >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char banner[BANNER_MAX];
	long wait_ms = 0;
	char *reply;
	size_t size;
	int opt, fd, status = EXIT_SUCCESS;

	while ((opt = getopt(argc, argv, "w:h")) != -1) {
		if (opt == 'w' && parse_wait(optarg, &wait_ms) == 0)
			continue;
		usage(opt == 'h' ? stdout : stderr);
		return opt == 'h' ? EXIT_SUCCESS : 2;
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	fd = connect_socket(argv[optind], wait_ms);
	if (fd < 0)
		return 1;
	if (receive_message(fd, banner, sizeof(banner)) < 0) {
		close(fd);
		return no_answer ? EXIT_NO_ANSWER : 3;
	}
	size = reply_limit(banner) + 1;
	reply = malloc(size);
	if (reply == NULL) {
		fprintf(stderr, "telemetry_query: out of memory\n");
		close(fd);
		return 3;
	}
	for (int i = optind + 1; i < argc && status == EXIT_SUCCESS; i++)
		if (query(fd, argv[i], reply, size) < 0)
			status = no_answer ? EXIT_NO_ANSWER : 3;
	free(reply);
	close(fd);
	return status;
}
