// SPDX-License-Identifier: GPL-2.0
/*
 * mcbench: the kv benchmark's memcached client, the same shape as
 * `kfkv bench` so that the two are measured alike.
 *
 *   mcbench [-H HOST] [-p PORT] [-o set|get] [-s SIZE] [-q DEPTH]
 *           [-t SECONDS | -n COUNT] [-k KEYS]
 *
 * One thread keeps DEPTH requests in flight, one on each of DEPTH TCP
 * connections (as memaslap's and redis-benchmark's clients do), speaking
 * memcached's text protocol: "set" or "get" of SIZE-byte values (default
 * 4096) over KEYS keys "bench-N" (default DEPTH; a get run sets each of
 * them first), for SECONDS (default 10) or COUNT operations.  Then one
 * line of key=value pairs, as kfkv's:
 *
 *   mcbench op=get size=4096 depth=32 keys=32 ops=N errors=0 short=0
 *           bytes=B seconds=T ops_per_s=R p50_us=L p99_us=L
 *
 * Latency runs from the first byte of a request sent to the last byte of
 * its answer read.  A get answered with no value (a miss) or with a
 * value of another size counts in short; an answer that is not what the
 * protocol says, or a connection that fails, in errors.  Either stops
 * the run and makes it exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define HDR_MAX	320		/* "VALUE <key> <flags> <bytes>\r\n" and more */

struct conn {
	int fd;
	/* The request: header, value (sets), "\r\n" (sets). */
	char hdr[HDR_MAX];
	struct iovec iov[3];
	int niov;
	size_t to_send;		/* bytes of the request not sent yet */
	/* The answer. */
	char *in;
	size_t in_len;
	size_t in_cap;
	struct timespec start;
	int busy;
};

struct mcb {
	const char *host;
	const char *port;
	int get;
	size_t size;
	unsigned int depth;
	unsigned int keys;
	unsigned long long count;
	double seconds;
	int preloading;		/* no request follows an answer */
	char *value;
	struct conn *conns;
	int ep;
	unsigned long long issued;
	unsigned long long done;
	unsigned long long errors;
	unsigned long long shorts;
	unsigned long long bytes;
	unsigned long long *lat;
	size_t nr_lat;
	size_t cap_lat;
};

static void usage(void)
{
	fputs("Usage: mcbench [-H HOST] [-p PORT] [-o set|get] [-s SIZE] [-q DEPTH]\n"
	      "               [-t SECONDS | -n COUNT] [-k KEYS]\n", stderr);
	exit(2);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "mcbench: %s: %s\n", what, strerror(err));
	exit(1);
}

static unsigned long long parse_u64(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-') {
		fprintf(stderr, "mcbench: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int connect_to(const struct mcb *b)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, one = 1, ret;

	ret = getaddrinfo(b->host, b->port, &hints, &res);
	if (ret) {
		fprintf(stderr, "mcbench: %s:%s: %s\n", b->host, b->port,
			gai_strerror(ret));
		exit(1);
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		ret = errno;
		close(fd);
		fd = -1;
		errno = ret;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("connect", errno);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Send what is left of @c's request; 0, or an errno. */
static int conn_send(struct conn *c)
{
	struct msghdr m = { 0 };
	ssize_t n;
	int i;

	while (c->to_send) {
		for (i = 0; i < c->niov && !c->iov[i].iov_len; i++)
			;
		m.msg_iov = &c->iov[i];
		m.msg_iovlen = c->niov - i;
		n = sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : errno;
		c->to_send -= n;
		for (; n > 0; i++) {
			size_t part = (size_t)n < c->iov[i].iov_len ?
				      (size_t)n : c->iov[i].iov_len;

			c->iov[i].iov_base = (char *)c->iov[i].iov_base + part;
			c->iov[i].iov_len -= part;
			n -= part;
		}
	}
	return 0;
}

static void conn_watch(struct mcb *b, struct conn *c, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (c->to_send ? EPOLLOUT : 0),
		.data.ptr = c,
	};

	if (epoll_ctl(b->ep, op, c->fd, &ev))
		die("epoll_ctl", errno);
}

/* @c's next request: on key (issued % keys), stamped now. */
static int conn_issue(struct mcb *b, struct conn *c)
{
	unsigned long long k = b->issued++ % b->keys;
	int len, had = c->to_send != 0, err;

	if (b->get) {
		len = snprintf(c->hdr, sizeof(c->hdr), "get bench-%llu\r\n", k);
		c->niov = 1;
	} else {
		len = snprintf(c->hdr, sizeof(c->hdr),
			       "set bench-%llu 0 0 %zu\r\n", k, b->size);
		c->iov[1] = (struct iovec){ b->value, b->size };
		c->iov[2] = (struct iovec){ (char *)"\r\n", 2 };
		c->niov = 3;
	}
	c->iov[0] = (struct iovec){ c->hdr, len };
	c->to_send = len + (b->get ? 0 : b->size + 2);
	c->in_len = 0;
	c->busy = 1;
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	err = conn_send(c);
	if (!err && had != !!c->to_send)
		conn_watch(b, c, EPOLL_CTL_MOD);
	return err;
}

static void record(struct mcb *b, const struct timespec *start)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (b->nr_lat == b->cap_lat) {
		b->cap_lat = b->cap_lat ? 2 * b->cap_lat : 65536;
		b->lat = realloc(b->lat, b->cap_lat * sizeof(*b->lat));
		if (!b->lat)
			die("latencies", ENOMEM);
	}
	b->lat[b->nr_lat++] = (t.tv_sec - start->tv_sec) * 1000000000ULL +
			      t.tv_nsec - start->tv_nsec;
}

/*
 * Whether @c's answer is complete: 1 when it is (and sound), 0 when more
 * is to come; -1 on a protocol error, -2 on a get that brought back no
 * value or one of another size.
 */
static int answer(const struct mcb *b, struct conn *c)
{
	char *eol = memmem(c->in, c->in_len, "\r\n", 2);
	size_t line, vlen;
	char *sp;

	if (!eol)
		return c->in_len < HDR_MAX ? 0 : -1;
	line = eol - c->in;
	if (!b->get)
		return line == 6 && !memcmp(c->in, "STORED", 6) ? 1 : -1;
	if (line == 3 && !memcmp(c->in, "END", 3))
		return -2;				/* a miss */
	if (line < 6 || memcmp(c->in, "VALUE ", 6))
		return -1;
	*eol = '\0';
	sp = strrchr(c->in, ' ');
	vlen = strtoull(sp + 1, NULL, 10);
	*eol = '\r';
	/* The header, the value, its "\r\n", then "END\r\n". */
	if (c->in_len < line + 2 + vlen + 2 + 5)
		return 0;
	if (c->in_len > line + 2 + vlen + 2 + 5 ||
	    memcmp(c->in + line + 2 + vlen, "\r\nEND\r\n", 7))
		return -1;
	return vlen == b->size ? 1 : -2;
}

static int more(const struct mcb *b, double end)
{
	if (b->preloading)
		return 0;
	if (b->count)
		return b->issued < b->count;
	return now_s() < end;
}

static void complain(struct mcb *b, const char *fmt, const char *what)
{
	if (!b->errors++ && !b->shorts)
		fprintf(stderr, fmt, what);
}

/* Data on @c; returns 1 when the connection is idle now. */
static int conn_read(struct mcb *b, struct conn *c, double end)
{
	ssize_t n;
	int ret;

	if (c->in_len == c->in_cap)
		return complain(b, "mcbench: %s\n", "answer too long"), 1;
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
		 MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		complain(b, "mcbench: recv: %s\n",
			 n ? strerror(errno) : "connection closed");
		return 1;
	}
	c->in_len += n;
	ret = answer(b, c);
	if (!ret)
		return 0;
	c->busy = 0;
	if (ret == -2) {
		b->shorts++;
		b->errors++;
		fprintf(stderr, "mcbench: get: no value of %zu bytes\n",
			b->size);
		return 1;
	}
	if (ret < 0) {
		c->in[c->in_len < 80 ? c->in_len : 80] = '\0';
		complain(b, "mcbench: unexpected answer: %s\n", c->in);
		return 1;
	}
	b->done++;
	b->bytes += b->size;
	record(b, &c->start);
	if (b->errors || !more(b, end))
		return 1;
	ret = conn_issue(b, c);
	if (ret) {
		complain(b, "mcbench: send: %s\n", strerror(ret));
		c->busy = 0;
		return 1;
	}
	return 0;
}

static void run(struct mcb *b)
{
	struct epoll_event evs[64];
	unsigned int i, inflight = 0;
	double end = now_s() + b->seconds;
	int n, j, err;

	for (i = 0; i < b->depth && more(b, end); i++) {
		err = conn_issue(b, &b->conns[i]);
		if (err)
			die("send", err);
		inflight++;
	}
	while (inflight) {
		n = epoll_wait(b->ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait", errno);
		}
		for (j = 0; j < n; j++) {
			struct conn *c = evs[j].data.ptr;

			if (!c->busy)
				continue;
			if (c->to_send && evs[j].events & EPOLLOUT) {
				err = conn_send(c);
				if (err) {
					complain(b, "mcbench: send: %s\n",
						 strerror(err));
					c->busy = 0;
					inflight--;
					continue;
				}
				if (!c->to_send)
					conn_watch(b, c, EPOLL_CTL_MOD);
			}
			if (evs[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP) &&
			    conn_read(b, c, end)) {
				c->busy = 0;
				inflight--;
			}
		}
	}
}

/* Gets need their keys: set each once on the first connection. */
static void preload(struct mcb *b)
{
	int get = b->get;
	unsigned long long issued = b->issued, k;
	struct conn *c = &b->conns[0];

	b->get = 0;
	b->preloading = 1;
	for (k = 0; k < b->keys; k++) {
		b->issued = k;
		if (conn_issue(b, c))
			die("setting the keys: send", errno);
		while (c->busy) {
			struct epoll_event ev;

			if (epoll_wait(b->ep, &ev, 1, -1) < 0 && errno != EINTR)
				die("epoll_wait", errno);
			if (c->to_send && conn_send(c))
				die("setting the keys: send", errno);
			if (!c->to_send)
				conn_watch(b, c, EPOLL_CTL_MOD);
			if (conn_read(b, c, 0) && c->busy)
				break;
		}
		if (b->errors) {
			fprintf(stderr, "mcbench: setting the keys failed\n");
			exit(1);
		}
	}
	b->get = get;
	b->preloading = 0;
	b->issued = issued;
	b->done = 0;
	b->bytes = 0;
	b->nr_lat = 0;
}

static int cmp_u64(const void *x, const void *y)
{
	unsigned long long a = *(const unsigned long long *)x;
	unsigned long long c = *(const unsigned long long *)y;

	return a < c ? -1 : a > c;
}

static double pct(const struct mcb *b, double p)
{
	if (!b->nr_lat)
		return 0;
	return b->lat[(size_t)(p / 100 * (b->nr_lat - 1) + 0.5)] / 1e3;
}

int main(int argc, char **argv)
{
	struct mcb b = { .host = "127.0.0.1", .port = "11211", .size = 4096,
			 .depth = 1, .seconds = 10 };
	double t0, elapsed;
	unsigned int i;
	int c;

	while ((c = getopt(argc, argv, "H:p:o:s:q:t:n:k:")) != -1) {
		switch (c) {
		case 'H':
			b.host = optarg;
			break;
		case 'p':
			b.port = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "get") && strcmp(optarg, "set"))
				usage();
			b.get = !strcmp(optarg, "get");
			break;
		case 's':
			b.size = parse_u64(optarg);
			break;
		case 'q':
			b.depth = parse_u64(optarg);
			break;
		case 't':
			b.seconds = parse_u64(optarg);
			break;
		case 'n':
			b.count = parse_u64(optarg);
			break;
		case 'k':
			b.keys = parse_u64(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !b.depth || b.depth > 1024 ||
	    b.size > 64 << 20)
		usage();
	if (!b.keys)
		b.keys = b.depth;
	b.value = malloc(b.size ? b.size : 1);
	b.conns = calloc(b.depth, sizeof(*b.conns));
	b.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!b.value || !b.conns)
		die("setup", ENOMEM);
	if (b.ep < 0)
		die("epoll_create1", errno);
	memset(b.value, 'm', b.size);
	for (i = 0; i < b.depth; i++) {
		struct conn *cn = &b.conns[i];

		cn->fd = connect_to(&b);
		cn->in_cap = HDR_MAX + b.size + 16;
		cn->in = malloc(cn->in_cap + 1);
		if (!cn->in)
			die("setup", ENOMEM);
		conn_watch(&b, cn, EPOLL_CTL_ADD);
	}
	if (b.get)
		preload(&b);
	t0 = now_s();
	run(&b);
	elapsed = now_s() - t0;
	qsort(b.lat, b.nr_lat, sizeof(*b.lat), cmp_u64);
	printf("mcbench op=%s size=%zu depth=%u keys=%u",
	       b.get ? "get" : "set", b.size, b.depth, b.keys);
	printf(" ops=%llu errors=%llu short=%llu bytes=%llu seconds=%.3f ops_per_s=%.1f",
	       b.done, b.errors, b.shorts, b.bytes, elapsed,
	       elapsed > 0 ? b.done / elapsed : 0);
	printf(" p50_us=%.1f p99_us=%.1f\n", pct(&b, 50), pct(&b, 99));
	return b.errors ? 1 : 0;
}
