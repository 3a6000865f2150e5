/*
 * The DNS benchmark's load generator (make bench, tests/bench/dns.sh): ASKERS threads,
 * each a UDP socket asking SERVER:53 one query at a time (closed loop) for names taken
 * in turn from NAMES_FILE, for SECONDS. Prints the answered queries per second, p50 and
 * p99 latency, timeouts (no answer within 1 s) and answers that were not NOERROR with an
 * address. A test tool: it writes its queries by hand (fixed shape), the server under test
 * is what parses them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (4u << 20)

static char **names;
static size_t n_names;
static struct sockaddr_in server;
static double seconds;

struct asker {
	pthread_t t;
	unsigned int idx;
	uint32_t *lat_us; /* samples */
	size_t n, timeouts, bad;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t query(uint8_t *buf, uint16_t id, const char *name)
{
	size_t at = 12;
	const char *p = name;

	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8), buf[1] = (uint8_t)id, buf[2] = 1, buf[5] = 1;
	while (*p) {
		size_t l = strcspn(p, ".");

		buf[at++] = (uint8_t)l;
		memcpy(buf + at, p, l);
		at += l;
		p += l + (p[l] == '.');
	}
	buf[at++] = 0;
	buf[at++] = 0, buf[at++] = 1, buf[at++] = 0, buf[at++] = 1; /* A, IN */
	return at;
}

static void *run(void *arg)
{
	struct asker *a = arg;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint8_t q[300], r[1500];
	double end = now() + seconds;
	uint16_t id = (uint16_t)(a->idx * 7919);

	if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server)) < 0)
		return NULL;
	for (size_t i = a->idx; now() < end; i++) {
		size_t len = query(q, ++id, names[i % n_names]);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t0 = now();
		ssize_t n = -1;

		if (send(fd, q, len, 0) < 0)
			continue;
		while (poll(&p, 1, 1000) == 1 && (n = recv(fd, r, sizeof(r), 0)) >= 2 && (r[0] << 8 | r[1]) != id)
			; /* a late answer to an earlier query */
		if (n < 12) {
			a->timeouts++;
			continue;
		}
		if ((r[3] & 15) != 0 || (r[6] << 8 | r[7]) == 0)
			a->bad++;
		if (a->n < MAX_SAMPLES)
			a->lat_us[a->n++] = (uint32_t)((now() - t0) * 1e6);
	}
	close(fd);
	return NULL;
}

static int cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int load_names(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[300];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!*line)
			continue;
		names = realloc(names, (n_names + 1) * sizeof(*names));
		names[n_names++] = strdup(line);
	}
	fclose(f);
	return n_names ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned int k;
	struct asker *a;
	uint32_t *all;
	size_t total = 0, timeouts = 0, bad = 0;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 || load_names(argv[2]) < 0) {
		fprintf(stderr, "usage: dnsload SERVER NAMES_FILE SECONDS ASKERS\n");
		return 2;
	}
	server.sin_family = AF_INET;
	server.sin_port = htons(53);
	seconds = atof(argv[3]);
	k = (unsigned int)atoi(argv[4]);
	a = calloc(k, sizeof(*a));
	for (unsigned int i = 0; i < k; i++) {
		a[i].idx = i;
		a[i].lat_us = malloc(MAX_SAMPLES * sizeof(uint32_t));
		pthread_create(&a[i].t, NULL, run, &a[i]);
	}
	for (unsigned int i = 0; i < k; i++) {
		pthread_join(a[i].t, NULL);
		total += a[i].n, timeouts += a[i].timeouts, bad += a[i].bad;
	}
	all = malloc((total + 1) * sizeof(*all));
	for (unsigned int i = 0, at = 0; i < k; i++) {
		memcpy(all + at, a[i].lat_us, a[i].n * sizeof(*all));
		at += (unsigned int)a[i].n;
	}
	qsort(all, total, sizeof(*all), cmp);
	printf("qps=%.0f p50_us=%u p99_us=%u timeouts=%zu bad=%zu n=%zu\n", (double)total / seconds,
	       total ? all[total / 2] : 0, total ? all[total * 99 / 100] : 0, timeouts, bad, total);
	return 0;
}
