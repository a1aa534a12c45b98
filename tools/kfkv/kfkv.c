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
 *
 * DEVICE is /dev/kfkv/NAME, NAME alone, or @N for a descriptor the shell
 * opened already.  With -x keys and prefixes are given and printed in
 * hex, so any binary key can be named.  A value comes from FILE or stdin
 * and goes to FILE or stdout.  Errors are printed with their errno name
 * (kfkv: stat: ENOENT: No such file or directory) and exit 1; a usage
 * error exits 2.
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
#include <unistd.h>
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
