// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv: put, get, delete, stat and list objects of a kfkv store from the
 * shell, through its character device (include/uapi/kfabric/kfkv.h).
 *
 *   kfkv [-x] DEVICE put [-a] [-V VERSION] [-d] KEY [FILE]
 *   kfkv [-x] DEVICE get [-o OFFSET] [-l LENGTH] KEY [FILE]
 *   kfkv [-x] DEVICE del [-V VERSION] KEY
 *   kfkv [-x] DEVICE stat KEY
 *   kfkv [-x] DEVICE ls [-n MAX] [PREFIX]
 *   kfkv DEVICE info
 *   kfkv DEVICE bench [-o put|get] [-s SIZE] [-q DEPTH] [-t SECONDS | -n COUNT]
 *                     [-k KEYS]
 *
 * DEVICE is /dev/kfkv/NAME, NAME alone, or @N for a descriptor the shell
 * opened already.  With -x keys and prefixes are given and printed in
 * hex, so any binary key can be named.  A value comes from FILE or stdin
 * and goes to FILE or stdout.  Errors are printed with their errno name
 * (kfkv: stat: ENOENT: No such file or directory) and exit 1; a usage
 * error exits 2.
 *
 * bench keeps DEPTH puts or gets (default put, 1) of SIZE-byte values
 * (default 4096) in flight as io_uring commands, over KEYS keys
 * "bench-N" (default DEPTH; a get bench puts them first), for SECONDS
 * (default 10) or COUNT operations, then prints one line of key=value
 * pairs: ops/s, the bytes of value moved, and the p50 and p99 latency,
 * submission to completion.  A get that brings back fewer bytes than
 * SIZE counts as an error (short), not as a completion.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <kfabric/kfkv.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int hex_keys;

static void die_errno(const char *what, int err)
{
	const char *name = strerrorname_np(err);

	fprintf(stderr, "kfkv: %s: %s: %s\n", what, name ? name : "?",
		strerror(err));
	exit(1);
}

static void usage(void)
{
	fputs("Usage: kfkv [-x] DEVICE put [-a] [-V VERSION] [-d] KEY [FILE]\n"
	      "       kfkv [-x] DEVICE get [-o OFFSET] [-l LENGTH] KEY [FILE]\n"
	      "       kfkv [-x] DEVICE del [-V VERSION] KEY\n"
	      "       kfkv [-x] DEVICE stat KEY\n"
	      "       kfkv [-x] DEVICE ls [-n MAX] [PREFIX]\n"
	      "       kfkv DEVICE info\n"
	      "       kfkv DEVICE bench [-o put|get] [-s SIZE] [-q DEPTH]\n"
	      "                         [-t SECONDS | -n COUNT] [-k KEYS]\n"
	      "DEVICE: /dev/kfkv/NAME, NAME, or @FD; -x: keys in hex\n",
	      stderr);
	exit(2);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A key from the command line, raw or (-x) in hex, into @key. */
static __u16 parse_key(const char *s, unsigned char *key)
{
	size_t i, len = strlen(s);

	if (!hex_keys) {
		if (len > KFKV_UAPI_KEY_MAX) {
			fprintf(stderr, "kfkv: a key has at most %d bytes\n",
				KFKV_UAPI_KEY_MAX);
			exit(2);
		}
		memcpy(key, s, len);
		return len;
	}
	if (len % 2 || len / 2 > KFKV_UAPI_KEY_MAX) {
		fprintf(stderr, "kfkv: '%s': need pairs of hex digits, %d bytes at most\n",
			s, KFKV_UAPI_KEY_MAX);
		exit(2);
	}
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			fprintf(stderr, "kfkv: '%s' is not hex\n", s);
			exit(2);
		}
		key[i] = hi << 4 | lo;
	}
	return len / 2;
}

static void print_key(const unsigned char *key, unsigned int len)
{
	unsigned int i;

	if (!hex_keys) {
		fwrite(key, 1, len, stdout);
	} else {
		for (i = 0; i < len; i++)
			printf("%02x", key[i]);
	}
	putchar('\n');
}

static __u64 parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-') {
		fprintf(stderr, "kfkv: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

/* DEVICE: a path, a name under /dev/kfkv, or @FD. */
static int open_device(const char *dev, int flags)
{
	char path[256];
	int fd;

	if (dev[0] == '@')
		return (int)parse_u64(dev + 1);
	if (!strchr(dev, '/')) {
		snprintf(path, sizeof(path), "/dev/kfkv/%s", dev);
		dev = path;
	}
	fd = open(dev, flags | O_CLOEXEC);
	if (fd < 0)
		die_errno("open", errno);
	return fd;
}

/* All of @fd (a file or stdin) into a buffer. */
static void *read_all(int fd, size_t *len)
{
	size_t size = 1 << 16, n = 0;
	char *buf = malloc(size);
	ssize_t r;

	for (;;) {
		if (!buf)
			die_errno("read", ENOMEM);
		r = read(fd, buf + n, size - n);
		if (r < 0)
			die_errno("read", errno);
		if (!r)
			break;
		n += r;
		if (n == size) {
			size *= 2;
			buf = realloc(buf, size);
		}
	}
	*len = n;
	return buf;
}

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, buf, len);
		if (w < 0)
			die_errno("write", errno);
		buf += w;
		len -= w;
	}
}

static int cmd_put(int fd, int argc, char **argv)
{
	struct kfkv_ioc_put p = { 0 };
	unsigned char key[KFKV_UAPI_KEY_MAX];
	size_t len;
	void *val;
	int c, in = 0;

	while ((c = getopt(argc, argv, "+aV:d")) != -1) {
		switch (c) {
		case 'a':
			p.flags |= KFKV_FL_IF_ABSENT;
			break;
		case 'V':
			p.flags |= KFKV_FL_IF_VERSION;
			p.version = parse_u64(optarg);
			break;
		case 'd':
			p.flags |= KFKV_FL_DURABLE;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();
	p.key_len = parse_key(argv[optind], key);
	p.key = (uintptr_t)key;
	if (argc - optind == 2) {
		in = open(argv[optind + 1], O_RDONLY | O_CLOEXEC);
		if (in < 0)
			die_errno(argv[optind + 1], errno);
	}
	val = read_all(in, &len);
	p.value = (uintptr_t)val;
	p.value_len = len;
	if (ioctl(fd, KFKV_IOC_PUT, &p))
		die_errno("put", errno);
	printf("version %llu\n", (unsigned long long)p.version);
	free(val);
	return 0;
}

static int cmd_stat(int fd, int argc, char **argv)
{
	struct kfkv_ioc_stat s = { 0 };
	unsigned char key[KFKV_UAPI_KEY_MAX];

	if (argc != 2)
		usage();
	s.key_len = parse_key(argv[1], key);
	s.key = (uintptr_t)key;
	if (ioctl(fd, KFKV_IOC_STAT, &s))
		die_errno("stat", errno);
	printf("size %llu version %llu\n", (unsigned long long)s.size,
	       (unsigned long long)s.version);
	return 0;
}

/*
 * A whole object: its size from STAT, then a GET of that many bytes; if
 * it grew in between (EOVERFLOW gives the new size), again.
 */
static int cmd_get(int fd, int argc, char **argv)
{
	struct kfkv_ioc_get g = { 0 };
	unsigned char key[KFKV_UAPI_KEY_MAX];
	__u64 want = 0;
	int c, out = 1, have_len = 0, ret;
	char *buf;

	while ((c = getopt(argc, argv, "+o:l:")) != -1) {
		switch (c) {
		case 'o':
			g.flags |= KFKV_FL_RANGE;
			g.offset = parse_u64(optarg);
			break;
		case 'l':
			g.flags |= KFKV_FL_RANGE;
			want = parse_u64(optarg);
			have_len = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();
	g.key_len = parse_key(argv[optind], key);
	g.key = (uintptr_t)key;
	if (!have_len) {
		struct kfkv_ioc_stat s = { .key = g.key, .key_len = g.key_len };

		if (ioctl(fd, KFKV_IOC_STAT, &s))
			die_errno("get", errno);
		want = s.size > g.offset ? s.size - g.offset : 0;
	}
	for (;;) {
		buf = malloc(want ? want : 1);
		if (!buf)
			die_errno("get", ENOMEM);
		g.buf = (uintptr_t)buf;
		g.buf_len = want;
		ret = ioctl(fd, KFKV_IOC_GET, &g);
		if (!ret)
			break;
		if (errno != EOVERFLOW || g.flags & KFKV_FL_RANGE)
			die_errno("get", errno);
		free(buf);
		want = g.size;
	}
	if (argc - optind == 2) {
		out = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC |
			   O_CLOEXEC, 0644);
		if (out < 0)
			die_errno(argv[optind + 1], errno);
	}
	write_all(out, buf, g.xfer);
	free(buf);
	return 0;
}

static int cmd_del(int fd, int argc, char **argv)
{
	struct kfkv_ioc_del d = { 0 };
	unsigned char key[KFKV_UAPI_KEY_MAX];
	int c;

	while ((c = getopt(argc, argv, "+V:")) != -1) {
		if (c != 'V')
			usage();
		d.flags |= KFKV_FL_IF_VERSION;
		d.version = parse_u64(optarg);
	}
	if (argc - optind != 1)
		usage();
	d.key_len = parse_key(argv[optind], key);
	d.key = (uintptr_t)key;
	if (ioctl(fd, KFKV_IOC_DEL, &d))
		die_errno("del", errno);
	return 0;
}

/* Every key with the prefix, LIST after LIST, each resuming after the last. */
static int cmd_ls(int fd, int argc, char **argv)
{
	static unsigned char buf[KFKV_UAPI_LIST_BUF];
	unsigned char prefix[KFKV_UAPI_KEY_MAX], cookie[KFKV_UAPI_KEY_MAX];
	struct kfkv_ioc_list l = { 0 };
	__u32 max = KFKV_UAPI_LIST_MAX, pos, klen;
	int c;

	while ((c = getopt(argc, argv, "+n:")) != -1) {
		if (c != 'n')
			usage();
		max = parse_u64(optarg);
	}
	if (argc - optind > 1)
		usage();
	if (argc - optind == 1)
		l.prefix_len = parse_key(argv[optind], prefix);
	l.prefix = (uintptr_t)prefix;
	l.buf = (uintptr_t)buf;
	l.buf_len = sizeof(buf);
	l.max_keys = max;
	do {
		if (ioctl(fd, KFKV_IOC_LIST, &l))
			die_errno("ls", errno);
		for (pos = 0; pos < l.used; pos += 1 + klen) {
			klen = buf[pos];
			if (!klen || klen > l.used - pos - 1)
				die_errno("ls", EPROTO);
			print_key(buf + pos + 1, klen);
			/* The last key listed is where the next LIST resumes. */
			memcpy(cookie, buf + pos + 1, klen);
			l.cookie = (uintptr_t)cookie;
			l.cookie_len = klen;
		}
	} while (l.more && l.nr_keys);
	return 0;
}

static int cmd_info(int fd, int argc, char **argv)
{
	struct kfkv_ioc_info i = { 0 };

	if (argc != 1)
		usage();
	if (ioctl(fd, KFKV_IOC_INFO, &i))
		die_errno("info", errno);
	printf("max_value %llu depth %u\n", (unsigned long long)i.max_value,
	       i.depth);
	return 0;
}

/* ---- bench: io_uring commands kept in flight ------------------------- */

/* One command slot of the bench: its argument, key and value buffer. */
struct bench_slot {
	union {
		struct kfkv_ioc_put put;
		struct kfkv_ioc_get get;
	} a;
	unsigned char key[32];
	unsigned char *buf;
	struct timespec start;
};

struct bench {
	int fd;
	int get;
	size_t size;
	unsigned int depth;
	unsigned int keys;
	unsigned long long count;
	double seconds;
	struct io_uring ring;
	struct bench_slot *slots;
	unsigned long long issued;
	unsigned long long done;
	unsigned long long errors;
	unsigned long long shorts;	/* gets that brought back < size */
	unsigned long long bytes;	/* value bytes moved by completions */
	unsigned long long *lat;	/* ns, one per completion */
	size_t nr_lat;
	size_t cap_lat;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static __u16 bench_key(unsigned char *key, unsigned long long n)
{
	return snprintf((char *)key, 32, "bench-%llu", n);
}

/* Slot @i's next command: on key (issued % keys), stamped now. */
static void bench_queue(struct bench *b, unsigned int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	struct bench_slot *s = &b->slots[i];
	__u16 klen = bench_key(s->key, b->issued++ % b->keys);
	struct kfkv_uring_cmd c = { .arg = (uintptr_t)&s->a };

	if (b->get) {
		s->a.get = (struct kfkv_ioc_get){
			.key = (uintptr_t)s->key, .key_len = klen,
			.buf = (uintptr_t)s->buf, .buf_len = b->size,
		};
		c.arg_len = sizeof(s->a.get);
	} else {
		s->a.put = (struct kfkv_ioc_put){
			.key = (uintptr_t)s->key, .key_len = klen,
			.value = (uintptr_t)s->buf, .value_len = b->size,
		};
		c.arg_len = sizeof(s->a.put);
	}
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, b->fd, NULL, 0, 0);
	sqe->cmd_op = b->get ? KFKV_IOC_GET : KFKV_IOC_PUT;
	memcpy(sqe->cmd, &c, sizeof(c));
	io_uring_sqe_set_data64(sqe, i);
	clock_gettime(CLOCK_MONOTONIC, &s->start);
}

static void bench_record(struct bench *b, const struct timespec *start)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (b->nr_lat == b->cap_lat) {
		b->cap_lat = b->cap_lat ? 2 * b->cap_lat : 65536;
		b->lat = realloc(b->lat, b->cap_lat * sizeof(*b->lat));
		if (!b->lat)
			die_errno("bench", ENOMEM);
	}
	b->lat[b->nr_lat++] = (t.tv_sec - start->tv_sec) * 1000000000ULL +
			      t.tv_nsec - start->tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* The latency below which @pct percent of the completions came, in us. */
static double bench_pct(const struct bench *b, double pct)
{
	size_t i;

	if (!b->nr_lat)
		return 0;
	i = (size_t)(pct / 100 * (b->nr_lat - 1) + 0.5);
	return b->lat[i] / 1e3;
}

/* Gets need their keys: put each once, synchronously. */
static void bench_preload(struct bench *b)
{
	unsigned char key[32];
	unsigned int k;

	for (k = 0; k < b->keys; k++) {
		struct kfkv_ioc_put p = {
			.key = (uintptr_t)key, .key_len = bench_key(key, k),
			.value = (uintptr_t)b->slots[0].buf,
			.value_len = b->size,
		};

		if (ioctl(b->fd, KFKV_IOC_PUT, &p))
			die_errno("bench: put", errno);
	}
}

/* Whether another command may start. */
static int bench_more(const struct bench *b, double end)
{
	if (b->count)
		return b->issued < b->count;
	return now_s() < end;
}

static void bench_run(struct bench *b)
{
	unsigned int i, inflight = 0;
	double end;
	int ret;

	end = now_s() + b->seconds;
	for (i = 0; i < b->depth && bench_more(b, end); i++, inflight++)
		bench_queue(b, i);
	io_uring_submit(&b->ring);
	while (inflight) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(&b->ring, &cqe);
		if (ret)
			die_errno("bench: io_uring_wait_cqe", -ret);
		i = io_uring_cqe_get_data64(cqe);
		if (cqe->res) {
			if (!b->errors++)
				fprintf(stderr, "kfkv: bench: %s\n",
					strerrorname_np(-cqe->res));
		} else if (b->get && b->slots[i].a.get.xfer != b->size) {
			/* The whole value or nothing counts as moved. */
			if (!b->errors++)
				fprintf(stderr, "kfkv: bench: get moved %llu of %zu bytes\n",
					(unsigned long long)b->slots[i].a.get.xfer,
					b->size);
			b->shorts++;
		} else {
			b->done++;
			b->bytes += b->size;
			bench_record(b, &b->slots[i].start);
		}
		io_uring_cqe_seen(&b->ring, cqe);
		inflight--;
		if (!b->errors && bench_more(b, end)) {
			bench_queue(b, i);
			io_uring_submit(&b->ring);
			inflight++;
		}
	}
}

static void bench_setup(struct bench *b)
{
	unsigned int i;
	int ret;

	ret = io_uring_queue_init(b->depth, &b->ring, 0);
	if (ret)
		die_errno("bench: io_uring_queue_init", -ret);
	b->slots = calloc(b->depth, sizeof(*b->slots));
	if (!b->slots)
		die_errno("bench", ENOMEM);
	for (i = 0; i < b->depth; i++) {
		/* Page-aligned, and touched: the pins find pages present. */
		if (posix_memalign((void **)&b->slots[i].buf, 4096,
				   b->size ? b->size : 1))
			die_errno("bench", ENOMEM);
		memset(b->slots[i].buf, 'a' + i % 26, b->size);
	}
}

static int cmd_bench(int fd, int argc, char **argv)
{
	struct bench b = { .fd = fd, .size = 4096, .depth = 1, .seconds = 10 };
	double t0, elapsed;
	int c;

	while ((c = getopt(argc, argv, "o:s:q:t:n:k:")) != -1) {
		switch (c) {
		case 'o':
			if (strcmp(optarg, "get") && strcmp(optarg, "put"))
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
	if (optind != argc || !b.depth || b.depth > 4096)
		usage();
	if (!b.keys)
		b.keys = b.depth;
	bench_setup(&b);
	if (b.get)
		bench_preload(&b);
	t0 = now_s();
	bench_run(&b);
	elapsed = now_s() - t0;
	qsort(b.lat, b.nr_lat, sizeof(*b.lat), cmp_u64);
	/* One line, key=value pairs, for scripts. */
	printf("kfkv-bench op=%s size=%zu depth=%u keys=%u",
	       b.get ? "get" : "put", b.size, b.depth, b.keys);
	printf(" ops=%llu errors=%llu short=%llu bytes=%llu seconds=%.3f ops_per_s=%.1f",
	       b.done, b.errors, b.shorts, b.bytes, elapsed,
	       elapsed > 0 ? b.done / elapsed : 0);
	printf(" p50_us=%.1f p99_us=%.1f\n", bench_pct(&b, 50),
	       bench_pct(&b, 99));
	return b.errors ? 1 : 0;
}

static const struct {
	const char *name;
	int (*run)(int fd, int argc, char **argv);
	int flags;
} cmds[] = {
	{ "put", cmd_put, O_WRONLY },
	{ "get", cmd_get, O_RDONLY },
	{ "del", cmd_del, O_WRONLY },
	{ "stat", cmd_stat, O_RDONLY },
	{ "ls", cmd_ls, O_RDONLY },
	{ "info", cmd_info, O_RDONLY },
	{ "bench", cmd_bench, O_RDWR },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int c;

	while ((c = getopt(argc, argv, "+x")) != -1) {
		if (c != 'x')
			usage();
		hex_keys = 1;
	}
	if (argc - optind < 2)
		usage();
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[optind + 1], cmds[i].name))
			continue;
		c = open_device(argv[optind], cmds[i].flags);
		argv += optind + 1;
		argc -= optind + 1;
		optind = 1;
		return cmds[i].run(c, argc, argv);
	}
	usage();
	return 2;
}
