// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv_uapi_test DEVICE GROUP [ARG]: kfkv's ioctls and io_uring commands,
 * run by kfkv_dev.sh against an enabled device whose store is empty of
 * keys starting with "uapi" and "uring".  DEVICE is a path, or @N for a
 * descriptor inherited open.
 *
 *   badptr    pointers that are not the caller's to give: EFAULT
 *   badlen    lengths out of range: EINVAL, EFBIG, EOVERFLOW, ERANGE
 *   badflags  flags and reserved fields: EINVAL; ENOTTY; EBADF
 *   uring_size N   put, stat, get (checksum compared), del of an N-byte
 *                  value, each an io_uring command
 *   uring_depth    32 puts, then 32 gets (each verified), then a list
 *                  and 32 deletes, each batch in flight at once
 *   uring_bad      commands a program gets wrong: the ioctls' errors,
 *                  ENOTTY for an unknown command, EINVAL for a bad
 *                  command area
 *   uring_perm ERR every command, and the ioctl, answered ERR (EACCES,
 *                  or 0 for success)
 *   uring_load FILE  32 large gets in flight without end; FILE is made
 *                  once they run; the first error stops submitting, and
 *                  every command in flight must still complete
 *
 * Prints one line per check and exits 1 if any got another answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <liburing.h>
#include <kfabric/kfkv.h>

#define KEY	"uapi-key"
#define KEYLEN	(sizeof(KEY) - 1)
/* An address in the kernel's half, never the caller's. */
#define KADDR	0xffff888000000000ULL

static int failures;
static const char *device;

static void expect(const char *what, int ret, int want)
{
	int got = ret ? errno : 0;

	if (got == want) {
		printf("ok %s: %s\n", what, want ? strerrorname_np(want) : "0");
		return;
	}
	printf("not ok %s: got %s, want %s\n", what,
	       got ? strerrorname_np(got) : "0",
	       want ? strerrorname_np(want) : "0");
	failures++;
}

static int open_dev(int flags)
{
	int fd = device[0] == '@' ? dup(atoi(device + 1)) :
		 open(device, flags | O_CLOEXEC);

	if (fd < 0) {
		perror(device);
		exit(1);
	}
	return fd;
}

/*
 * A page holding @len bytes of @src that the caller may read but not
 * write, with nothing mapped in the two pages after it.
 */
static void *ro_page(const void *src, size_t len)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + 4096, 2 * 4096)) {
		perror("mmap");
		exit(1);
	}
	memcpy(p, src, len);
	if (mprotect(p, 4096, PROT_READ)) {
		perror("mprotect");
		exit(1);
	}
	return p;
}

static struct kfkv_ioc_put put_arg(const void *val, __u64 len)
{
	struct kfkv_ioc_put p = {
		.key = (uintptr_t)KEY, .key_len = KEYLEN,
		.value = (uintptr_t)val, .value_len = len,
	};

	return p;
}

static void bad_pointers(int fd)
{
	static char val[8192], buf[8192];
	struct kfkv_ioc_put p = put_arg(val, 100);
	struct kfkv_ioc_get g = {
		.key = (uintptr_t)KEY, .key_len = KEYLEN, .buf_len = 4096,
	};
	struct kfkv_ioc_list l = {
		.buf = 4096, .buf_len = KFKV_UAPI_LIST_BUF, .max_keys = 8,
	};
	struct kfkv_ioc_stat s = { .key = (uintptr_t)KEY, .key_len = KEYLEN };
	struct kfkv_ioc_stat *ros;

	expect("put: argument NULL", ioctl(fd, KFKV_IOC_PUT, NULL), EFAULT);
	expect("put: argument in the kernel",
	       ioctl(fd, KFKV_IOC_PUT, (void *)KADDR), EFAULT);
	p.key = 16;
	expect("put: key unmapped", ioctl(fd, KFKV_IOC_PUT, &p), EFAULT);
	p = put_arg((void *)16, 4096);
	expect("put: value unmapped", ioctl(fd, KFKV_IOC_PUT, &p), EFAULT);
	p = put_arg((void *)KADDR, 100000);
	expect("put: value in the kernel", ioctl(fd, KFKV_IOC_PUT, &p), EFAULT);
	p = put_arg((void *)(~0ULL - 100), 4096);
	expect("put: value wraps", ioctl(fd, KFKV_IOC_PUT, &p), EFAULT);
	/* Half mapped: the pages past the mapping cannot be pinned. */
	p = put_arg(ro_page(val, 1), 3 * 4096);
	expect("put: value runs off its mapping", ioctl(fd, KFKV_IOC_PUT, &p),
	       EFAULT);
	g.buf = 16;
	expect("get: buffer unmapped", ioctl(fd, KFKV_IOC_GET, &g), EFAULT);
	g.buf = (uintptr_t)ro_page(val, 1);
	expect("get: buffer read-only", ioctl(fd, KFKV_IOC_GET, &g), EFAULT);
	g.buf = (uintptr_t)buf;
	g.key = KADDR;
	expect("get: key in the kernel", ioctl(fd, KFKV_IOC_GET, &g), EFAULT);
	/* The answer cannot be written back: the object exists by then. */
	p = put_arg(val, 10);
	expect("put: a good one", ioctl(fd, KFKV_IOC_PUT, &p), 0);
	ros = ro_page(&s, sizeof(s));
	expect("stat: argument read-only", ioctl(fd, KFKV_IOC_STAT, ros),
	       EFAULT);
	expect("list: buffer unmapped", ioctl(fd, KFKV_IOC_LIST, &l), EFAULT);
	expect("info: argument NULL", ioctl(fd, KFKV_IOC_INFO, NULL), EFAULT);
}

static void bad_lengths(int fd)
{
	static char val[4 << 20], buf[4096];
	struct kfkv_ioc_put p = put_arg(val, 0);
	struct kfkv_ioc_get g = {
		.key = (uintptr_t)KEY, .key_len = KEYLEN,
		.buf = (uintptr_t)buf, .buf_len = 10,
	};
	struct kfkv_ioc_stat s = { .key = (uintptr_t)KEY };
	struct kfkv_ioc_del d = { .key = (uintptr_t)KEY };
	struct kfkv_ioc_list l = {
		.buf = (uintptr_t)buf, .buf_len = KFKV_UAPI_LIST_BUF,
		.max_keys = 8,
	};
	struct kfkv_ioc_info info;

	if (ioctl(fd, KFKV_IOC_INFO, &info) || info.max_value >= sizeof(val)) {
		printf("not ok info: a largest value under 4 MiB expected\n");
		failures++;
		return;
	}
	p.key_len = 0;
	expect("put: key of 0 bytes", ioctl(fd, KFKV_IOC_PUT, &p), EINVAL);
	p.key_len = KFKV_UAPI_KEY_MAX + 1;
	expect("put: key of 251 bytes", ioctl(fd, KFKV_IOC_PUT, &p), EINVAL);
	p = put_arg(val, info.max_value + 1);
	expect("put: value over the largest", ioctl(fd, KFKV_IOC_PUT, &p),
	       EFBIG);
	p = put_arg(val, 100);
	expect("put: 100 bytes", ioctl(fd, KFKV_IOC_PUT, &p), 0);
	expect("get: buffer too small", ioctl(fd, KFKV_IOC_GET, &g),
	       EOVERFLOW);
	if (g.size != 100) {
		printf("not ok get: size %llu with EOVERFLOW, want 100\n",
		       (unsigned long long)g.size);
		failures++;
	}
	g.flags = KFKV_FL_RANGE;
	g.offset = 101;
	expect("get: range past the end", ioctl(fd, KFKV_IOC_GET, &g), ERANGE);
	g.key_len = KFKV_UAPI_KEY_MAX + 1;
	expect("get: key of 251 bytes", ioctl(fd, KFKV_IOC_GET, &g), EINVAL);
	expect("stat: key of 0 bytes", ioctl(fd, KFKV_IOC_STAT, &s), EINVAL);
	d.key_len = 300;
	expect("del: key of 300 bytes", ioctl(fd, KFKV_IOC_DEL, &d), EINVAL);
	l.buf_len = KFKV_UAPI_LIST_BUF - 1;
	expect("list: buffer under the least", ioctl(fd, KFKV_IOC_LIST, &l),
	       EINVAL);
	l.buf_len = KFKV_UAPI_LIST_BUF;
	l.max_keys = 0;
	expect("list: 0 keys", ioctl(fd, KFKV_IOC_LIST, &l), EINVAL);
	l.max_keys = KFKV_UAPI_LIST_MAX + 1;
	expect("list: 1025 keys", ioctl(fd, KFKV_IOC_LIST, &l), EINVAL);
	l.max_keys = 8;
	l.prefix = (uintptr_t)val;
	l.prefix_len = KFKV_UAPI_KEY_MAX + 1;
	expect("list: prefix of 251 bytes", ioctl(fd, KFKV_IOC_LIST, &l),
	       EINVAL);
	l.prefix_len = 0;
	l.cookie = (uintptr_t)val;
	l.cookie_len = KFKV_UAPI_KEY_MAX + 1;
	expect("list: cookie of 251 bytes", ioctl(fd, KFKV_IOC_LIST, &l),
	       EINVAL);
}

static void bad_flags(int fd)
{
	static char val[64], buf[4096];
	struct kfkv_ioc_put p = put_arg(val, 8);
	struct kfkv_ioc_get g = {
		.key = (uintptr_t)KEY, .key_len = KEYLEN,
		.buf = (uintptr_t)buf, .buf_len = sizeof(buf),
	};
	struct kfkv_ioc_del d = { .key = (uintptr_t)KEY, .key_len = KEYLEN };
	struct kfkv_ioc_stat s = { .key = (uintptr_t)KEY, .key_len = KEYLEN };
	struct kfkv_ioc_list l = {
		.buf = (uintptr_t)buf, .buf_len = sizeof(buf), .max_keys = 8,
	};
	int ro, wo;

	p.flags = KFKV_FL_RANGE;
	expect("put: RANGE", ioctl(fd, KFKV_IOC_PUT, &p), EINVAL);
	p.flags = 0x100;
	expect("put: unknown flag", ioctl(fd, KFKV_IOC_PUT, &p), EINVAL);
	p.flags = KFKV_FL_IF_ABSENT | KFKV_FL_IF_VERSION;
	expect("put: IF_ABSENT with IF_VERSION", ioctl(fd, KFKV_IOC_PUT, &p),
	       EINVAL);
	p.flags = 0;
	p.reserved = 1;
	expect("put: reserved set", ioctl(fd, KFKV_IOC_PUT, &p), EINVAL);
	g.flags = KFKV_FL_IF_ABSENT;
	expect("get: IF_ABSENT", ioctl(fd, KFKV_IOC_GET, &g), EINVAL);
	g.flags = 0;
	g.offset = 1;
	expect("get: offset without RANGE", ioctl(fd, KFKV_IOC_GET, &g),
	       EINVAL);
	d.flags = KFKV_FL_DURABLE;
	expect("del: DURABLE", ioctl(fd, KFKV_IOC_DEL, &d), EINVAL);
	s.flags = 1;
	expect("stat: a flag", ioctl(fd, KFKV_IOC_STAT, &s), EINVAL);
	l.flags = 1;
	expect("list: a flag", ioctl(fd, KFKV_IOC_LIST, &l), EINVAL);
	l.flags = 0;
	l.reserved = 1;
	expect("list: reserved set", ioctl(fd, KFKV_IOC_LIST, &l), EINVAL);
	expect("unknown ioctl", ioctl(fd, _IO(KFKV_IOC_MAGIC, 99), 0), ENOTTY);
	/* A descriptor is good for what it was opened for. */
	ro = open_dev(O_RDONLY);
	wo = open_dev(O_WRONLY);
	p.reserved = 0;
	expect("put on a read-only descriptor", ioctl(ro, KFKV_IOC_PUT, &p),
	       EBADF);
	expect("get on a write-only descriptor", ioctl(wo, KFKV_IOC_GET, &g),
	       EBADF);
	expect("put on a write-only descriptor", ioctl(wo, KFKV_IOC_PUT, &p),
	       0);
	close(ro);
	close(wo);
}

/* ---- io_uring commands ---------------------------------------------- */

#define URING_DEPTH	32
#define MIB		1048576

static struct io_uring ring;

static void ring_init(void)
{
	int ret = io_uring_queue_init(2 * URING_DEPTH, &ring, 0);

	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		exit(1);
	}
}

/* One command into the ring's next SQE; its CQE carries @tag. */
static void queue_cmd(int fd, unsigned int op, const void *arg, __u32 len,
		      __u32 flags, __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct kfkv_uring_cmd c = {
		.arg = (uintptr_t)arg, .arg_len = len, .flags = flags,
	};

	if (!sqe) {
		fprintf(stderr, "no free SQE\n");
		exit(1);
	}
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &c, sizeof(c));
	io_uring_sqe_set_data64(sqe, tag);
}

/* The next CQE: its res, and its tag in @tag. */
static int reap(__u64 *tag)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(&ring, &cqe);

	if (ret) {
		fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
		exit(1);
	}
	ret = cqe->res;
	if (tag)
		*tag = io_uring_cqe_get_data64(cqe);
	io_uring_cqe_seen(&ring, cqe);
	return ret;
}

/* One command, waited for: 0 or a negative errno. */
static int uring1(int fd, unsigned int op, const void *arg, __u32 len,
		  __u32 flags)
{
	queue_cmd(fd, op, arg, len, flags, 0);
	if (io_uring_submit(&ring) != 1) {
		fprintf(stderr, "io_uring_submit failed\n");
		exit(1);
	}
	return reap(NULL);
}

/* As expect(), for a CQE's res. */
static void expect_res(const char *what, int res, int want)
{
	errno = -res;
	expect(what, res, want);
}

/* FNV-1a, 64 bits: a value's checksum. */
static __u64 checksum(const unsigned char *p, size_t len)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	while (len--) {
		seed = seed * 1103515245 + 12345;
		*p++ = seed >> 16;
	}
}

static void check(const char *what, int ok)
{
	printf("%s %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

/* A binary key: "uring", a zero byte, then @tag's bytes and 0xff. */
static __u16 make_key(unsigned char *key, unsigned int tag)
{
	memcpy(key, "uring", 5);
	key[5] = 0;
	memcpy(key + 6, &tag, sizeof(tag));
	key[6 + sizeof(tag)] = 0xff;
	return 7 + sizeof(tag);
}

static void uring_size(int fd, size_t n)
{
	unsigned char key[16], *val = malloc(n + 1), *buf = malloc(n + 4096);
	__u16 klen = make_key(key, n);
	struct kfkv_ioc_put p = {
		.key = (uintptr_t)key, .key_len = klen,
		.value = (uintptr_t)val, .value_len = n,
	};
	struct kfkv_ioc_get g = {
		.key = (uintptr_t)key, .key_len = klen,
		.buf = (uintptr_t)buf, .buf_len = n + 4096,
	};
	struct kfkv_ioc_stat st = { .key = (uintptr_t)key, .key_len = klen };
	struct kfkv_ioc_del d = { .key = (uintptr_t)key, .key_len = klen };
	char what[96];

	fill(val, n, n);
	memset(buf, 0x5a, n + 4096);
	/* Outputs start as garbage, each its own: they must be written. */
	p.version = 0xaaaaaaaaaaaaaaaaULL;
	st.size = 0xbbbbbbbbbbbbbbbbULL;
	st.version = 0xbbbbbbbbbbbbbbbbULL;
	g.size = 0xccccccccccccccccULL;
	g.version = 0xccccccccccccccccULL;
	g.xfer = 0xccccccccccccccccULL;
	expect_res("uring put", uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0), 0);
	expect_res("uring stat",
		   uring1(fd, KFKV_IOC_STAT, &st, sizeof(st), 0), 0);
	check("stat: the size and version the put made",
	      st.size == n && st.version == p.version);
	expect_res("uring get", uring1(fd, KFKV_IOC_GET, &g, sizeof(g), 0), 0);
	snprintf(what, sizeof(what),
		 "get: %zu bytes, version %llu, checksum %016llx", n,
		 (unsigned long long)g.version,
		 (unsigned long long)checksum(val, n));
	check(what, g.size == n && g.xfer == n && g.version == p.version &&
	      checksum(buf, n) == checksum(val, n) && buf[n] == 0x5a);
	expect_res("uring del", uring1(fd, KFKV_IOC_DEL, &d, sizeof(d), 0), 0);
	expect_res("uring stat after del",
		   uring1(fd, KFKV_IOC_STAT, &st, sizeof(st), 0),
		   ENOENT);
	free(val);
	free(buf);
}

/* Every queued command's CQE; each res must be 0. */
static void reap_all(const char *what, int n)
{
	int bad = 0, i;

	for (i = 0; i < n; i++)
		if (reap(NULL))
			bad++;
	if (bad)
		printf("# %s: %d of %d failed\n", what, bad, n);
	check(what, !bad);
}

#define DEPTH_VAL	(64 << 10)

static void uring_depth(int fd)
{
	static unsigned char keys[URING_DEPTH][16];
	static struct kfkv_ioc_put p[URING_DEPTH];
	static struct kfkv_ioc_get g[URING_DEPTH];
	static struct kfkv_ioc_del d[URING_DEPTH];
	static char list_buf[KFKV_UAPI_LIST_BUF];
	unsigned char *val = malloc(URING_DEPTH * DEPTH_VAL);
	unsigned char *buf = malloc(URING_DEPTH * DEPTH_VAL);
	struct kfkv_ioc_list l = {
		.prefix = (uintptr_t)"uring", .prefix_len = 6,
		.buf = (uintptr_t)list_buf, .buf_len = sizeof(list_buf),
		.max_keys = KFKV_UAPI_LIST_MAX,
	};
	int i, same = 0;

	for (i = 0; i < URING_DEPTH; i++) {
		__u16 klen = make_key(keys[i], 1000 + i);
		/* Each its own size, most moved by RMA. */
		size_t n = DEPTH_VAL - 977 * i;

		fill(val + i * DEPTH_VAL, n, i);
		p[i] = (struct kfkv_ioc_put){
			.key = (uintptr_t)keys[i], .key_len = klen,
			.value = (uintptr_t)(val + i * DEPTH_VAL),
			.value_len = n,
		};
		g[i] = (struct kfkv_ioc_get){
			.key = (uintptr_t)keys[i], .key_len = klen,
			.buf = (uintptr_t)(buf + i * DEPTH_VAL),
			.buf_len = DEPTH_VAL,
		};
		d[i] = (struct kfkv_ioc_del){
			.key = (uintptr_t)keys[i], .key_len = klen,
		};
		queue_cmd(fd, KFKV_IOC_PUT, &p[i], sizeof(p[i]), 0, i);
	}
	io_uring_submit(&ring);
	reap_all("32 puts in flight", URING_DEPTH);
	for (i = 0; i < URING_DEPTH; i++)
		queue_cmd(fd, KFKV_IOC_GET, &g[i], sizeof(g[i]), 0, i);
	io_uring_submit(&ring);
	reap_all("32 gets in flight", URING_DEPTH);
	for (i = 0; i < URING_DEPTH; i++)
		same += g[i].xfer == p[i].value_len &&
			g[i].version == p[i].version &&
			checksum(buf + i * DEPTH_VAL, g[i].xfer) ==
			checksum(val + i * DEPTH_VAL, p[i].value_len);
	printf("# %d of %d values read back intact\n", same, URING_DEPTH);
	check("32 gets: every value, version and checksum",
	      same == URING_DEPTH);
	expect_res("uring list",
		   uring1(fd, KFKV_IOC_LIST, &l, sizeof(l), 0), 0);
	check("list: the 32 keys", l.nr_keys == URING_DEPTH && !l.more);
	for (i = 0; i < URING_DEPTH; i++)
		queue_cmd(fd, KFKV_IOC_DEL, &d[i], sizeof(d[i]), 0, i);
	io_uring_submit(&ring);
	reap_all("32 deletes in flight", URING_DEPTH);
	free(val);
	free(buf);
}

static void uring_bad(int fd)
{
	static char val[64], buf[4096];
	struct kfkv_ioc_put p = put_arg(val, 8);
	struct kfkv_ioc_get g = {
		.key = (uintptr_t)KEY, .key_len = KEYLEN,
		.buf = (uintptr_t)buf, .buf_len = sizeof(buf),
	};
	struct kfkv_ioc_stat s = { .key = (uintptr_t)KEY, .key_len = KEYLEN };
	struct kfkv_ioc_info info;
	int ro;

	expect_res("uring: unknown command",
		   uring1(fd, _IO(KFKV_IOC_MAGIC, 99), &p, sizeof(p), 0),
		   ENOTTY);
	expect_res("uring: command flags set",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 1), EINVAL);
	expect_res("uring: argument length short",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p) - 1, 0), EINVAL);
	expect_res("uring: argument NULL",
		   uring1(fd, KFKV_IOC_PUT, NULL, sizeof(p), 0), EFAULT);
	expect_res("uring: argument in the kernel",
		   uring1(fd, KFKV_IOC_GET, (void *)KADDR, sizeof(g), 0),
		   EFAULT);
	p.flags = 0x100;
	expect_res("uring put: unknown flag",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0),
		   EINVAL);
	p = put_arg((void *)16, 4096);
	expect_res("uring put: value unmapped",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0),
		   EFAULT);
	p = put_arg(val, 8);
	p.key_len = 0;
	expect_res("uring put: key of 0 bytes",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0),
		   EINVAL);
	expect_res("uring info",
		   uring1(fd, KFKV_IOC_INFO, &info, sizeof(info), 0), 0);
	p = put_arg(malloc(info.max_value + 1), info.max_value + 1);
	expect_res("uring put: value over the largest",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0), EFBIG);
	g.flags = KFKV_FL_IF_ABSENT;
	expect_res("uring get: IF_ABSENT",
		   uring1(fd, KFKV_IOC_GET, &g, sizeof(g), 0),
		   EINVAL);
	g.flags = 0;
	g.buf = (uintptr_t)ro_page(val, 1);
	p = put_arg(val, 10);
	expect_res("uring put: a good one",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0), 0);
	expect_res("uring get: buffer read-only",
		   uring1(fd, KFKV_IOC_GET, &g, sizeof(g), 0),
		   EFAULT);
	/* Done, but the answer cannot be written back. */
	expect_res("uring stat: argument read-only",
		   uring1(fd, KFKV_IOC_STAT, ro_page(&s, sizeof(s)), sizeof(s),
			  0), EFAULT);
	ro = open_dev(O_RDONLY);
	expect_res("uring put on a read-only descriptor",
		   uring1(ro, KFKV_IOC_PUT, &p, sizeof(p), 0), EBADF);
	close(ro);
}

/* Every operation, by io_uring then by ioctl, answered @want. */
static void uring_perm(int fd, int want)
{
	static const char val[] = "perm";
	static char buf[4096], list_buf[KFKV_UAPI_LIST_BUF];
	unsigned char key[16];
	__u16 klen = make_key(key, 77);
	struct kfkv_ioc_put p = {
		.key = (uintptr_t)key, .key_len = klen,
		.value = (uintptr_t)val, .value_len = 4,
	};
	struct kfkv_ioc_get g = {
		.key = (uintptr_t)key, .key_len = klen,
		.buf = (uintptr_t)buf, .buf_len = sizeof(buf),
	};
	struct kfkv_ioc_stat s = { .key = (uintptr_t)key, .key_len = klen };
	struct kfkv_ioc_del d = { .key = (uintptr_t)key, .key_len = klen };
	struct kfkv_ioc_list l = {
		.buf = (uintptr_t)list_buf, .buf_len = sizeof(list_buf),
		.max_keys = 8,
	};

	expect_res("uring put",
		   uring1(fd, KFKV_IOC_PUT, &p, sizeof(p), 0), want);
	expect_res("uring get",
		   uring1(fd, KFKV_IOC_GET, &g, sizeof(g), 0), want);
	expect_res("uring stat",
		   uring1(fd, KFKV_IOC_STAT, &s, sizeof(s), 0), want);
	expect_res("uring list",
		   uring1(fd, KFKV_IOC_LIST, &l, sizeof(l), 0), want);
	expect("ioctl stat", ioctl(fd, KFKV_IOC_STAT, &s), want);
	expect_res("uring del",
		   uring1(fd, KFKV_IOC_DEL, &d, sizeof(d), 0), want);
	expect("ioctl put", ioctl(fd, KFKV_IOC_PUT, &p), want);
	expect("ioctl del", ioctl(fd, KFKV_IOC_DEL, &d), want);
}

/*
 * 32 gets of a large value in flight, resubmitted as they complete,
 * until the first error (the store going away under them); then no more
 * submissions and every command still in flight reaped.  Errors allowed:
 * those of a store gone (ECONNRESET in flight, ENODEV or ENOTCONN after),
 * and the first must be there.
 */
static void uring_load(int fd, const char *ready)
{
	static struct kfkv_ioc_get g[URING_DEPTH];
	unsigned char key[16], *buf = malloc((size_t)URING_DEPTH * MIB);
	unsigned char *val = malloc(MIB);
	__u16 klen = make_key(key, 4242);
	struct kfkv_ioc_put p = {
		.key = (uintptr_t)key, .key_len = klen,
		.value = (uintptr_t)val, .value_len = MIB,
	};
	int inflight = 0, done = 0, reset = 0, gone = 0, other = 0, i;
	int made = 0;
	__u64 tag;

	fill(val, MIB, 1);
	expect("ioctl put of the value", ioctl(fd, KFKV_IOC_PUT, &p), 0);
	for (i = 0; i < URING_DEPTH; i++) {
		g[i] = (struct kfkv_ioc_get){
			.key = (uintptr_t)key, .key_len = klen,
			.buf = (uintptr_t)(buf + (size_t)i * MIB),
			.buf_len = MIB,
		};
		queue_cmd(fd, KFKV_IOC_GET, &g[i], sizeof(g[i]), 0, i);
		inflight++;
	}
	io_uring_submit(&ring);
	while (inflight) {
		int res = reap(&tag);

		inflight--;
		if (!res) {
			done++;
		} else if (res == -ECONNRESET) {
			reset++;
		} else if (res == -ENODEV || res == -ENOTCONN) {
			gone++;
		} else {
			other++;
			printf("# unexpected: %s\n", strerrorname_np(-res));
		}
		if (!made && done >= URING_DEPTH) {
			made = 1;
			close(open(ready, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
		}
		if (reset + gone + other)
			continue;
		queue_cmd(fd, KFKV_IOC_GET, &g[tag], sizeof(g[tag]), 0, tag);
		io_uring_submit(&ring);
		inflight++;
	}
	printf("# %d gets done, then %d failed in flight (ECONNRESET),\n",
	       done, reset);
	printf("# %d after (ENODEV, ENOTCONN), %d otherwise\n", gone, other);
	/*
	 * Gets of 1 MiB are in flight all along (the device's depth of them
	 * waiting for the target): some must have been failed in flight.
	 */
	check("every command in flight completed, with the store's errors",
	      done >= URING_DEPTH && reset > 0 && !other);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEVICE GROUP [ARG]\n", argv[0]);
		return 2;
	}
	device = argv[1];
	fd = open_dev(O_RDWR);
	if (!strncmp(argv[2], "uring_", 6))
		ring_init();
	if (!strcmp(argv[2], "uring_size") && argc == 4) {
		uring_size(fd, strtoul(argv[3], NULL, 0));
	} else if (!strcmp(argv[2], "uring_depth")) {
		uring_depth(fd);
	} else if (!strcmp(argv[2], "uring_bad")) {
		uring_bad(fd);
	} else if (!strcmp(argv[2], "uring_perm") && argc == 4) {
		uring_perm(fd, strcmp(argv[3], "0") ? EACCES : 0);
	} else if (!strcmp(argv[2], "uring_load") && argc == 4) {
		uring_load(fd, argv[3]);
	} else if (!strcmp(argv[2], "badptr")) {
		bad_pointers(fd);
	} else if (!strcmp(argv[2], "badlen")) {
		bad_lengths(fd);
	} else if (!strcmp(argv[2], "badflags")) {
		bad_flags(fd);
	} else {
		fprintf(stderr, "%s: no group %s\n", argv[0], argv[2]);
		return 2;
	}
	close(fd);
	return failures ? 1 : 0;
}
