// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv_uapi_test DEVICE GROUP: the errors of kfkv's ioctls for arguments
 * a program gets wrong, run by kfkv_dev.sh as root against an enabled
 * device whose store is empty of keys starting with "uapi".
 *
 *   badptr    pointers that are not the caller's to give: EFAULT
 *   badlen    lengths out of range: EINVAL, EFBIG, EOVERFLOW, ERANGE
 *   badflags  flags and reserved fields: EINVAL; ENOTTY; EBADF
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
	int fd = open(device, flags | O_CLOEXEC);

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

int main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEVICE badptr|badlen|badflags\n",
			argv[0]);
		return 2;
	}
	device = argv[1];
	fd = open_dev(O_RDWR);
	if (!strcmp(argv[2], "badptr")) {
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
