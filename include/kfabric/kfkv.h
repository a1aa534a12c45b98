/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfkv client API: get/put key-value objects in a store served by
 * kfkv_target.ko, from kernel code (kfkv.ko exports it).
 *
 * A handle is one connection to one store (kfkv_open(), process context).
 * Operations are asynchronous: fill a struct kfkv_op, kfkv_submit() it
 * (never sleeps, never allocates: callable from softirq and from a kfabric
 * completion callback), and its @done runs once, with the result, from
 * the handle's completion context (softirq) -- or from process context
 * when the connection fails.  A handle keeps up to its depth operations
 * in flight; past that kfkv_submit() returns -EAGAIN and posts nothing.
 * The kfkv_*_sync() calls wrap one operation for process context.
 * Documentation/kfabric/kfkv.rst describes it all; the wire protocol is
 * in kfkv-protocol.rst.
 */
#ifndef _KFABRIC_KFKV_H
#define _KFABRIC_KFKV_H

#include <linux/types.h>
#include <linux/bvec.h>
#include <kfabric/kfi_sess.h>

struct kfkv_handle;

/* Largest key, in bytes (keys are binary, 1 to this long). */
#define KFKV_KEY_BYTES		250
/* What a LIST's key buffer must hold: the largest answer. */
#define KFKV_LIST_BYTES		4056

enum kfkv_op_type {
	KFKV_PUT = 1,
	KFKV_GET = 2,
	KFKV_DELETE = 3,
	KFKV_STAT = 4,
	KFKV_LIST = 5,
};

/* kfkv_op.flags */
#define KFKV_IF_ABSENT		0x0001U	/* PUT: -EEXIST if the key exists */
#define KFKV_IF_VERSION		0x0002U	/* PUT, DELETE: -ESTALE unless at @version */
#define KFKV_DURABLE		0x0004U	/* PUT: on stable storage when done */
#define KFKV_RANGE		0x0008U	/* GET: bytes from @offset on */

/**
 * struct kfkv_op - one operation
 * @type: enum kfkv_op_type
 * @flags: KFKV_IF_ABSENT, KFKV_IF_VERSION, KFKV_DURABLE, KFKV_RANGE
 * @key: the key (LIST: the prefix, may be empty)
 * @key_len: bytes of @key, 1 to KFKV_KEY_BYTES (LIST: 0 to it)
 * @bvec: PUT: the value; GET: where it goes.  Each entry one page at
 *	most, every entry but the first starting at a page boundary and
 *	every entry but the last ending at one (the shape a memory region
 *	maps); the pages stay the caller's and must stay put until @done
 * @nr_bvec: entries of @bvec
 * @len: PUT: the value's size; GET: bytes @bvec can take (at most);
 *	LIST: bytes @keys can take, at least KFKV_LIST_BYTES
 * @offset: GET with KFKV_RANGE: the first byte wanted
 * @version: with KFKV_IF_VERSION: the version expected
 * @keys: LIST: gets entries of one length byte and the key
 *	(kfkv_keys_next() walks them)
 * @cookie: LIST: the last key of the previous answer, or NULL to start
 * @cookie_len: bytes of @cookie
 * @max_keys: LIST: keys wanted at most (1 to 1024)
 * @done: called once with the outcome; may not sleep
 * @result: 0 or a negative errno (see kfkv.rst for which)
 * @size: PUT, GET, STAT: the object's size (also with -EOVERFLOW: a
 *	GET's buffer was too small); LIST: keys in @keys
 * @obj_version: the object's version (PUT: the new one; DELETE: the one
 *	removed; -ESTALE: the current one)
 * @xfer: GET: bytes delivered into @bvec; LIST: bytes of @keys used
 * @more: LIST: keys remain after the last one
 * @priv: the handle's, while the operation is in flight
 */
struct kfkv_op {
	u8 type;
	u16 flags;
	const void *key;
	u16 key_len;
	const struct bio_vec *bvec;
	u32 nr_bvec;
	u64 len;
	u64 offset;
	u64 version;
	void *keys;
	const void *cookie;
	u16 cookie_len;
	u16 max_keys;
	void (*done)(struct kfkv_op *op);

	int result;
	u64 size;
	u64 obj_version;
	u64 xfer;
	bool more;
	void *priv;
};

/**
 * struct kfkv_open_attr - where a handle connects
 * @addr: the target's IPv4 or IPv6 address
 * @port: its port
 * @store: the store's name
 * @depth: operations in flight at most (1 to 256; 0: 16); the target may
 *	grant fewer (kfkv_depth())
 * @timeout_ms: an operation the target leaves unanswered this long fails
 *	the handle (0: 30000); also bounds connecting
 * @max_value: the largest value the handle moves (0: 16 MiB, at most
 *	64 MiB): what its memory regions are sized for
 * @secret: the store's shared secret, or NULL for a store that has none;
 *	with one, the handle and the target prove to each other that they
 *	know it, and a target that does not is refused (-EKEYREJECTED)
 * @secret_len: bytes of @secret, 16 to 64 (0 with no secret)
 * @sess: how the handle rides out a lost connection (reconnect delay,
 *	give-up and fail-fast times; keep-alive is not used), or NULL for
 *	kfkv.ko's parameters (reconnect every second, give up after 600 s)
 */
struct kfkv_open_attr {
	const char *addr;
	u16 port;
	const char *store;
	u32 depth;
	u32 timeout_ms;
	u64 max_value;
	const u8 *secret;
	u32 secret_len;
	const struct kfi_sess_params *sess;
};

int kfkv_open(const struct kfkv_open_attr *attr, struct kfkv_handle **h);
void kfkv_close(struct kfkv_handle *h);
u32 kfkv_depth(const struct kfkv_handle *h);
u64 kfkv_max_value(const struct kfkv_handle *h);
int kfkv_submit(struct kfkv_handle *h, struct kfkv_op *op);

int kfkv_put_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		  const void *val, u64 len, u16 flags, u64 *version);
int kfkv_get_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		  void *buf, u64 len, u16 flags, u64 offset,
		  u64 *size, u64 *version);
int kfkv_delete_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		     u16 flags, u64 version);
int kfkv_stat_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		   u64 *size, u64 *version);
int kfkv_list_sync(struct kfkv_handle *h, const void *prefix, u16 prefix_len,
		   const void *cookie, u16 cookie_len, void *keys, u32 size,
		   u16 max_keys, u32 *nr_keys, bool *more);

/**
 * kfkv_keys_next() - walk the keys a LIST put in its buffer
 * @keys: the buffer
 * @len: bytes of it used (kfkv_op.xfer)
 * @pos: where the next entry starts, 0 at first; advanced
 * @key: set to the next key
 *
 * Return: the key's length, or 0 at the end.
 */
static inline int kfkv_keys_next(const void *keys, u32 len, u32 *pos,
				 const u8 **key)
{
	const u8 *p = keys;
	u32 klen;

	if (*pos >= len)
		return 0;
	klen = p[*pos];
	if (!klen || klen > len - *pos - 1)
		return 0;
	*key = p + *pos + 1;
	*pos += 1 + klen;
	return klen;
}

#endif /* _KFABRIC_KFKV_H */
