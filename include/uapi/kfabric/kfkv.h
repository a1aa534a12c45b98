/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kfkv user-space interface: one character device per store the client
 * has attached (/dev/kfkv/<name>, made through configfs), and these
 * synchronous ioctls on it.  Documentation/kfabric/kfkv.rst describes
 * them and the protection model.
 *
 * Every pointer is a user address in a __u64; every reserved field and
 * every flag not named here must be zero (-EINVAL otherwise).  Values move
 * by RMA straight to and from the caller's pages, which are pinned for the
 * call.  Each ioctl returns 0 or -1 with errno set; the object's
 * condition errors (ENOENT, EEXIST, ESTALE, ...) are those of the kernel
 * API.  Access: GET, STAT and LIST need read permission on the store and a
 * descriptor opened for reading; PUT and DEL write permission and one
 * opened for writing (EACCES, EBADF).
 *
 * The same operations go asynchronously through io_uring
 * (IORING_OP_URING_CMD on the store's descriptor), so that a program
 * keeps many in flight: see struct kfkv_uring_cmd below.
 */
#ifndef _UAPI_KFABRIC_KFKV_H
#define _UAPI_KFABRIC_KFKV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Largest key, in bytes: keys are binary, 1 to this long. */
#define KFKV_UAPI_KEY_MAX	250
/* Least buffer a LIST takes: its largest answer. */
#define KFKV_UAPI_LIST_BUF	4056
/* Keys one LIST asks for at most. */
#define KFKV_UAPI_LIST_MAX	1024

/* Flags of the ioctls below */
#define KFKV_FL_IF_ABSENT	0x0001U	/* PUT: EEXIST if the key exists */
#define KFKV_FL_IF_VERSION	0x0002U	/* PUT, DEL: ESTALE unless at .version */
#define KFKV_FL_DURABLE		0x0004U	/* PUT: on stable storage when it returns */
#define KFKV_FL_RANGE		0x0008U	/* GET: bytes from .offset on */

/**
 * struct kfkv_ioc_put - create or replace an object
 * @key: the key's address
 * @value: the value's address (may be 0 when @value_len is 0)
 * @value_len: bytes of the value, 0 to the store's largest (EFBIG above)
 * @version: in: the version expected with KFKV_FL_IF_VERSION; out: the
 *	object's new version (its current one on EEXIST and ESTALE)
 * @flags: KFKV_FL_IF_ABSENT or KFKV_FL_IF_VERSION (not both),
 *	KFKV_FL_DURABLE
 * @key_len: bytes of the key, 1 to KFKV_UAPI_KEY_MAX
 * @reserved: zero
 */
struct kfkv_ioc_put {
	__u64 key;
	__u64 value;
	__u64 value_len;
	__u64 version;
	__u32 flags;
	__u16 key_len;
	__u16 reserved;
};

/**
 * struct kfkv_ioc_get - read an object, or a byte range of it
 * @key: the key's address
 * @buf: where the bytes go
 * @buf_len: bytes @buf holds (a smaller object or range: the rest is
 *	untouched; a larger whole object: EOVERFLOW, with @size set)
 * @offset: with KFKV_FL_RANGE, the first byte wanted (ERANGE past the end)
 * @size: out: the object's size
 * @version: out: the object's version
 * @xfer: out: bytes written to @buf
 * @flags: 0 or KFKV_FL_RANGE
 * @key_len: bytes of the key
 * @reserved: zero
 */
struct kfkv_ioc_get {
	__u64 key;
	__u64 buf;
	__u64 buf_len;
	__u64 offset;
	__u64 size;
	__u64 version;
	__u64 xfer;
	__u32 flags;
	__u16 key_len;
	__u16 reserved;
};

/**
 * struct kfkv_ioc_del - remove an object
 * @key: the key's address
 * @version: with KFKV_FL_IF_VERSION, the version expected
 * @flags: 0 or KFKV_FL_IF_VERSION
 * @key_len: bytes of the key
 * @reserved: zero
 */
struct kfkv_ioc_del {
	__u64 key;
	__u64 version;
	__u32 flags;
	__u16 key_len;
	__u16 reserved;
};

/**
 * struct kfkv_ioc_stat - an object's size and version
 * @key: the key's address
 * @size: out: its size
 * @version: out: its version
 * @flags: zero
 * @key_len: bytes of the key
 * @reserved: zero
 */
struct kfkv_ioc_stat {
	__u64 key;
	__u64 size;
	__u64 version;
	__u32 flags;
	__u16 key_len;
	__u16 reserved;
};

/**
 * struct kfkv_ioc_list - keys with a prefix, in order, after a cookie
 * @prefix: the prefix's address (may be 0 when @prefix_len is 0)
 * @cookie: the resume cookie: 0 to start, else the last key of the
 *	previous answer
 * @buf: gets the keys, each a length byte then the key
 * @buf_len: bytes @buf holds, at least KFKV_UAPI_LIST_BUF
 * @prefix_len: bytes of the prefix, 0 to KFKV_UAPI_KEY_MAX
 * @cookie_len: bytes of the cookie, 0 to KFKV_UAPI_KEY_MAX
 * @max_keys: keys wanted at most, 1 to KFKV_UAPI_LIST_MAX
 * @nr_keys: out: keys in @buf
 * @used: out: bytes of @buf written
 * @more: out: 1 when keys remain after the last one
 * @flags: zero
 * @reserved: zero
 */
struct kfkv_ioc_list {
	__u64 prefix;
	__u64 cookie;
	__u64 buf;
	__u32 buf_len;
	__u16 prefix_len;
	__u16 cookie_len;
	__u32 max_keys;
	__u32 nr_keys;
	__u32 used;
	__u32 more;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct kfkv_ioc_info - the store behind a descriptor
 * @max_value: its largest value, in bytes
 * @depth: operations the connection keeps in flight
 * @reserved: zero
 */
struct kfkv_ioc_info {
	__u64 max_value;
	__u32 depth;
	__u32 reserved;
};

#define KFKV_IOC_MAGIC	0xbf

#define KFKV_IOC_PUT	_IOWR(KFKV_IOC_MAGIC, 1, struct kfkv_ioc_put)
#define KFKV_IOC_GET	_IOWR(KFKV_IOC_MAGIC, 2, struct kfkv_ioc_get)
#define KFKV_IOC_DEL	_IOW(KFKV_IOC_MAGIC, 3, struct kfkv_ioc_del)
#define KFKV_IOC_STAT	_IOWR(KFKV_IOC_MAGIC, 4, struct kfkv_ioc_stat)
#define KFKV_IOC_LIST	_IOWR(KFKV_IOC_MAGIC, 5, struct kfkv_ioc_list)
#define KFKV_IOC_INFO	_IOR(KFKV_IOC_MAGIC, 6, struct kfkv_ioc_info)

/**
 * struct kfkv_uring_cmd - an operation submitted through io_uring
 * @arg: the address of the operation's argument, the struct its ioctl
 *	takes (struct kfkv_ioc_put for KFKV_IOC_PUT, ...)
 * @arg_len: sizeof that struct
 * @flags: zero
 *
 * An IORING_OP_URING_CMD SQE on a store's descriptor: @cmd_op is one of
 * the KFKV_IOC_* numbers below, and its 16-byte cmd area (a plain 64-byte
 * SQE is enough) holds this struct.  The operation is the ioctl's, with
 * the same checks and errors: the CQE's res is 0 or the negative errno
 * the ioctl would set (-ENOTTY for an unknown @cmd_op; -EINVAL for an
 * @arg_len other than the struct's size or @flags set), res2 is not used,
 * and the outputs are written to @arg before the CQE is posted.  @arg,
 * the key and the value's buffer must stay valid until the CQE.
 *
 * Nothing is dropped: an operation that finds the store's connection at
 * its depth waits in io_uring's worker for a free slot, at most as long
 * as an answer may take, then completes with -EAGAIN.  A store disabled,
 * or a connection lost, completes every operation in flight (-ECONNRESET
 * or -ENODEV); so does the connection's timeout, which bounds how long a
 * ring being torn down waits for them.
 */
struct kfkv_uring_cmd {
	__u64 arg;
	__u32 arg_len;
	__u32 flags;
};

#endif /* _UAPI_KFABRIC_KFKV_H */
