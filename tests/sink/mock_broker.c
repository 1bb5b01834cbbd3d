// SPDX-License-Identifier: MIT
/*
 * A Kafka broker for tests: librdkafka's mock cluster, which speaks the real
 * protocol. Prints its bootstrap address as one line on stdout, then serves
 * until stdin closes or SIGTERM. Commands on stdin, one per line:
 *	down [ID]	broker ID (default: all) drops connections, refuses new ones
 *	up [ID]		accepts connections again, on the same port
 *	rtt MS		every broker answers MS ms late; what it is sent is
 *			stored at once (a producer may time out a request
 *			whose reports are in the log: possible duplicates)
 *
 * The mock keeps about 5 MB of log per partition and trims the oldest
 * beyond that: a consumer reading from the beginning sees only the rest.
 *
 * usage: mock_broker [-b BROKERS] [-t TOPIC] [-p PARTITIONS]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void set_state(rd_kafka_mock_cluster_t *mc, int brokers, const char *arg,
		      int up)
{
	int id = arg && *arg ? atoi(arg) : 0;

	for (int b = 1; b <= brokers; b++) {
		if (id && b != id)
			continue;
		if (up)
			rd_kafka_mock_broker_set_up(mc, b);
		else
			rd_kafka_mock_broker_set_down(mc, b);
	}
	fprintf(stderr, "mock_broker: broker %s %s\n", id ? arg : "all",
		up ? "up" : "down");
}

static void set_rtt(rd_kafka_mock_cluster_t *mc, int brokers, int rtt_ms)
{
	for (int b = 1; b <= brokers; b++)
		rd_kafka_mock_broker_set_rtt(mc, b, rtt_ms);
	fprintf(stderr, "mock_broker: answers %d ms late\n", rtt_ms);
}

int main(int argc, char **argv)
{
	const char *topic = "quazar";
	int brokers = 1, partitions = 3, opt;
	char errstr[256], line[128];
	rd_kafka_conf_t *conf;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;
	struct sigaction sa = { .sa_handler = on_signal };
	size_t used = 0;

	while ((opt = getopt(argc, argv, "b:t:p:")) != -1) {
		switch (opt) {
		case 'b': brokers = atoi(optarg); break;
		case 't': topic = optarg; break;
		case 'p': partitions = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-b BROKERS] [-t TOPIC] [-p PARTITIONS]\n",
				argv[0]);
			return 2;
		}
	}
	/* Inherited SIG_IGN (background jobs) would make SIGTERM/SIGINT inert. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The cluster lives inside a client handle; this one never produces. */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "mock_broker: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "mock_broker: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	if (rd_kafka_mock_topic_create(mc, topic, partitions, 1)) {
		fprintf(stderr, "mock_broker: cannot create topic %s\n", topic);
		goto out;
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(0, line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			break;		/* stdin closed: the test is gone */
		used += (size_t)n;
		line[used] = 0;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			if (!strncmp(line, "down", 4))
				set_state(mc, brokers, line + 4 + (line[4] == ' '), 0);
			else if (!strncmp(line, "up", 2))
				set_state(mc, brokers, line + 2 + (line[2] == ' '), 1);
			else if (!strncmp(line, "rtt ", 4))
				set_rtt(mc, brokers, atoi(line + 4));
			else if (*line)
				fprintf(stderr, "mock_broker: unknown command: %s\n", line);
			used -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, used + 1);
		}
		if (used == sizeof(line) - 1)
			used = 0;	/* an overlong line: drop it */
	}
out:
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
