/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfkv wire protocol: message layouts, constants and validators.
 *
 * Shared by kfkv.ko (client), kfkv_target.ko and the user-space fuzzer
 * (tools/testing/fuzz/), so it depends on nothing kernel-only: outside the
 * kernel, that directory's kfi_proto_shim.h supplies the few types and
 * byte-order helpers.
 * Every multi-byte field is little endian; every structure has a fixed
 * size checked at build time.  Documentation/kfabric/kfkv-protocol.rst is
 * the prose version of this file.
 */
#ifndef _KFKV_PROTO_H
#define _KFKV_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <asm/byteorder.h>
#else
#include "kfi_proto_shim.h"
#endif

/* 2: the AUTH exchange (challenge-response with a per-store secret). */
#define KFKV_PROTO_VERSION	2

#define KFKV_MAGIC_REQ		0x434b564bU	/* "KVKC" on the wire */
#define KFKV_MAGIC_RSP		0x524b564bU	/* "KVKR" */
#define KFKV_MAGIC_CM_REQ	0x514b564bU	/* "KVKQ" */
#define KFKV_MAGIC_CM_REP	0x504b564bU	/* "KVKP" */

/* Limits every implementation of version 1 honours. */
#define KFKV_KEY_MAX		250		/* bytes in a key */
#define KFKV_MSG_SIZE		4096		/* every receive buffer */
#define KFKV_MAX_DEPTH		256		/* requests in flight */
#define KFKV_MAX_SEGS		32		/* remote segments per request */
#define KFKV_VALUE_MAX		(64ULL << 20)	/* largest store maximum */
#define KFKV_LIST_MAX		1024		/* keys asked of one LIST */
#define KFKV_STORE_NAME_LEN	32		/* with the terminating NUL */
#define KFKV_NONCE_LEN		16		/* each side's challenge */
#define KFKV_MAC_LEN		32		/* an HMAC-SHA256 */
#define KFKV_AUTH_LABEL_LEN	16		/* the direction's label */
/* A store's shared secret: long enough to resist guessing, bounded. */
#define KFKV_SECRET_MIN		16
#define KFKV_SECRET_MAX		64

/*
 * What each side's MAC is over starts with a label naming who computes
 * it, so a proof seen in one direction cannot be sent back in the other.
 */
#define KFKV_AUTH_LABEL_CLIENT	"kfkv2 client    "
#define KFKV_AUTH_LABEL_TARGET	"kfkv2 target    "

/* The low 16 bits of a tag index the client's table; the rest is free. */
#define KFKV_TAG_INDEX(tag)	((tag) & 0xffffU)

enum kfkv_opcode {
	KFKV_OP_PUT = 1,
	KFKV_OP_GET = 2,
	KFKV_OP_DELETE = 3,
	KFKV_OP_STAT = 4,
	KFKV_OP_LIST = 5,
	KFKV_OP_AUTH = 6,	/* the client's proof; first on a secret store */
};

/* kfkv_req.flags */
#define KFKV_F_IF_ABSENT	0x0001U	/* PUT: only if the key is absent */
#define KFKV_F_IF_VERSION	0x0002U	/* PUT, DELETE: only at this version */
#define KFKV_F_DURABLE		0x0004U	/* PUT: on stable storage before the answer */
#define KFKV_F_RANGE		0x0008U	/* GET: [offset, offset + value_len) */

/* kfkv_cm_rep.flags */
#define KFKV_CM_AUTH		0x0001U	/* the store wants an AUTH first */

/* kfkv_rsp.aux of a LIST answer */
#define KFKV_LIST_MORE		0x0001U	/* keys remain after the last one */

/*
 * Answer and connection status.  Values are part of the protocol, so the
 * two sides need not share an errno table.
 */
enum kfkv_status {
	KFKV_ST_OK = 0,
	KFKV_ST_IOERR = 1,		/* the backend failed */
	KFKV_ST_INVAL = 2,		/* malformed request or handshake */
	KFKV_ST_NOENT = 3,		/* no such key */
	KFKV_ST_EXIST = 4,		/* IF_ABSENT and the key exists */
	KFKV_ST_CONFLICT = 5,		/* IF_VERSION and another version */
	KFKV_ST_NOSPC = 6,		/* the store is full */
	KFKV_ST_TOOBIG = 7,		/* value over the store's maximum */
	KFKV_ST_OVERFLOW = 8,		/* GET: the object exceeds the buffer */
	KFKV_ST_RANGE = 9,		/* GET: offset past the end */
	KFKV_ST_XFER = 10,		/* an RMA transfer failed */
	KFKV_ST_NOMEM = 11,		/* no memory on the target now */
	KFKV_ST_NOSTORE = 12,		/* handshake: no such store */
	KFKV_ST_VERSION = 13,		/* handshake: version not spoken */
	KFKV_ST_BUSY = 14,		/* handshake: a limit reached */
	KFKV_ST_AUTH = 15,		/* not authenticated, or a wrong proof */
	KFKV_ST_MAX = KFKV_ST_AUTH,
};

/**
 * struct kfkv_cm_req - private data of a connect
 * @magic: KFKV_MAGIC_CM_REQ
 * @version: KFKV_PROTO_VERSION
 * @depth: requests the client keeps in flight, 1 to KFKV_MAX_DEPTH
 * @flags: 0
 * @reserved: 0
 * @store: the store wanted, NUL-terminated
 */
struct kfkv_cm_req {
	__le32 magic;
	__le16 version;
	__le16 depth;
	__le32 flags;
	__le32 reserved;
	char store[KFKV_STORE_NAME_LEN];
};

/**
 * struct kfkv_cm_rep - private data of an accept or a reject
 * @magic: KFKV_MAGIC_CM_REP
 * @version: KFKV_PROTO_VERSION
 * @status: KFKV_ST_OK in an accept; why, in a reject
 * @depth: granted, at most what was asked
 * @max_segs: remote segments one request may carry, 1 to KFKV_MAX_SEGS
 * @inline_max: value bytes that may travel inside a message
 * @max_value: the store's largest value, at most KFKV_VALUE_MAX
 * @flags: KFKV_CM_AUTH when the store has a secret
 * @reserved: 0
 * @nonce: with KFKV_CM_AUTH, the target's challenge; else zero
 */
struct kfkv_cm_rep {
	__le32 magic;
	__le16 version;
	__le16 status;
	__le16 depth;
	__le16 max_segs;
	__le32 inline_max;
	__le64 max_value;
	__le32 flags;
	__le32 reserved;
	u8 nonce[KFKV_NONCE_LEN];
};

/**
 * struct kfkv_auth - the inline part of an AUTH request
 * @nonce: the client's challenge to the target
 * @mac: the client's proof, kfkv_auth_input with KFKV_AUTH_LABEL_CLIENT
 *
 * The answer to it carries the target's proof (KFKV_MAC_LEN bytes, with
 * KFKV_AUTH_LABEL_TARGET) inline.
 */
struct kfkv_auth {
	u8 nonce[KFKV_NONCE_LEN];
	u8 mac[KFKV_MAC_LEN];
};

/**
 * struct kfkv_auth_input - the bytes both proofs are an HMAC-SHA256 of
 * @label: KFKV_AUTH_LABEL_CLIENT or KFKV_AUTH_LABEL_TARGET
 * @target_nonce: the target's challenge, from its connect reply
 * @client_nonce: the client's challenge, from its AUTH request
 * @store: the store's name, NUL-padded
 *
 * Never sent: each side builds it from what it sent and received.
 */
struct kfkv_auth_input {
	char label[KFKV_AUTH_LABEL_LEN];
	u8 target_nonce[KFKV_NONCE_LEN];
	u8 client_nonce[KFKV_NONCE_LEN];
	char store[KFKV_STORE_NAME_LEN];
};

/**
 * struct kfkv_seg - a piece of the client's buffer the target may reach
 * @addr: address in the client's memory region
 * @key: the region's remote key
 * @len: bytes, not 0
 */
struct kfkv_seg {
	__le64 addr;
	__le64 key;
	__le64 len;
};

/**
 * struct kfkv_req - a request header, client to target, in a send
 * @magic: KFKV_MAGIC_REQ
 * @version: KFKV_PROTO_VERSION
 * @opcode: enum kfkv_opcode
 * @flags: KFKV_F_*
 * @tag: echoed in the answer; KFKV_TAG_INDEX() below the depth
 * @key_len: bytes of the key (LIST: of the prefix) after the segments
 * @nr_segs: struct kfkv_seg entries right after this header
 * @reserved: 0
 * @inline_len: bytes after the key: PUT's value, or LIST's resume cookie
 * @reserved2: 0
 * @value_len: PUT: the value's size; GET: bytes the client can take;
 *	LIST: keys wanted at most
 * @offset: GET with KFKV_F_RANGE: first byte wanted; else 0
 * @expect: with KFKV_F_IF_VERSION: the version expected; else 0
 *
 * Followed by @nr_segs segments, @key_len key bytes and @inline_len
 * bytes, nothing else: the message is exactly that long.
 */
struct kfkv_req {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 flags;
	__le32 tag;
	__le16 key_len;
	u8 nr_segs;
	u8 reserved;
	__le32 inline_len;
	__le32 reserved2;
	__le64 value_len;
	__le64 offset;
	__le64 expect;
};

/**
 * struct kfkv_rsp - an answer header, target to client
 * @magic: KFKV_MAGIC_RSP
 * @version: KFKV_PROTO_VERSION
 * @opcode: the request's opcode
 * @status: enum kfkv_status
 * @tag: the request's tag
 * @inline_len: bytes after the header: GET's data, LIST's keys
 * @size: PUT, GET, STAT: the object's size; LIST: keys in the answer
 * @obj_version: the object's version (PUT: the new one; DELETE: the one
 *	deleted; CONFLICT: the current one)
 * @xfer: GET: bytes delivered; LIST: KFKV_LIST_*
 */
struct kfkv_rsp {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 status;
	__le32 tag;
	__le32 inline_len;
	__le64 size;
	__le64 obj_version;
	__le64 xfer;
};

static_assert(sizeof(struct kfkv_cm_req) == 48);
static_assert(sizeof(struct kfkv_cm_rep) == 48);
static_assert(sizeof(struct kfkv_auth) == 48);
static_assert(sizeof(struct kfkv_auth_input) == 80);
static_assert(sizeof(struct kfkv_seg) == 24);
static_assert(sizeof(struct kfkv_req) == 48);
static_assert(sizeof(struct kfkv_rsp) == 40);

/* Value bytes that can ever fit inline in a message of KFKV_MSG_SIZE. */
#define KFKV_INLINE_LIMIT	(KFKV_MSG_SIZE - sizeof(struct kfkv_req) - \
				 KFKV_KEY_MAX)

/**
 * struct kfkv_limits - what the target checks a request against
 * @depth: tags index below this
 * @max_segs: segments allowed per request
 * @inline_max: inline value bytes allowed
 * @max_value: largest value
 */
struct kfkv_limits {
	u32 depth;
	u32 max_segs;
	u32 inline_max;
	u64 max_value;
};

/**
 * struct kfkv_req_info - a request in host byte order
 * @opcode: enum kfkv_opcode
 * @flags: KFKV_F_*
 * @tag: the tag
 * @key_len: bytes of @key
 * @nr_segs: entries of @segs
 * @inline_len: bytes at @inline_off of the message
 * @inline_off: where the inline bytes start in the message
 * @value_len: see struct kfkv_req
 * @offset: see struct kfkv_req
 * @version: see struct kfkv_req
 * @seg_total: sum of the segments' lengths
 * @segs: the segments, host order, in @segs[i].addr/key/len as u64
 * @key: the key (or prefix)
 */
struct kfkv_req_info {
	u8 opcode;
	u16 flags;
	u32 tag;
	u16 key_len;
	u8 nr_segs;
	u32 inline_len;
	u32 inline_off;
	u64 value_len;
	u64 offset;
	u64 version;
	u64 seg_total;
	struct {
		u64 addr;
		u64 key;
		u64 len;
	} segs[KFKV_MAX_SEGS];
	u8 key[KFKV_KEY_MAX];
};

/**
 * struct kfkv_rsp_info - an answer header in host byte order
 * @opcode: the request's opcode
 * @status: enum kfkv_status
 * @tag: the request's tag
 * @inline_len: bytes after the header
 * @size: see struct kfkv_rsp
 * @version: see struct kfkv_rsp
 * @xfer: see struct kfkv_rsp
 */
struct kfkv_rsp_info {
	u8 opcode;
	u16 status;
	u32 tag;
	u32 inline_len;
	u64 size;
	u64 version;
	u64 xfer;
};

/* A connect request in host order; @store is NUL-terminated. */
struct kfkv_cm_req_info {
	u16 depth;
	u32 flags;
	char store[KFKV_STORE_NAME_LEN];
};

/* An accept or a reject in host order. */
struct kfkv_cm_rep_info {
	u16 status;
	u16 depth;
	u16 max_segs;
	u32 inline_max;
	u64 max_value;
	u32 flags;
	u8 nonce[KFKV_NONCE_LEN];
};

int kfkv_req_parse(const void *buf, size_t len, const struct kfkv_limits *lim,
		   struct kfkv_req_info *ri);
size_t kfkv_req_size(const struct kfkv_req_info *ri);
int kfkv_req_build(void *buf, size_t size, const struct kfkv_req_info *ri,
		   const void *inl);
int kfkv_rsp_parse(const void *buf, size_t len, u32 depth,
		   struct kfkv_rsp_info *ri);
int kfkv_rsp_check(const struct kfkv_rsp_info *ri,
		   const struct kfkv_req_info *sent, const u8 *inl);
void kfkv_rsp_build(struct kfkv_rsp *rsp, const struct kfkv_rsp_info *ri);
int kfkv_list_next(const u8 *buf, u32 len, u32 *pos, const u8 **key);
int kfkv_list_put(u8 *buf, u32 size, u32 *pos, const u8 *key, u16 key_len);
int kfkv_cm_req_parse(const void *buf, size_t len,
		      struct kfkv_cm_req_info *qi);
int kfkv_cm_req_build(struct kfkv_cm_req *req,
		      const struct kfkv_cm_req_info *qi);
int kfkv_cm_rep_parse(const void *buf, size_t len,
		      struct kfkv_cm_rep_info *pi);
void kfkv_cm_rep_build(struct kfkv_cm_rep *rep,
		       const struct kfkv_cm_rep_info *pi);
int kfkv_store_name_valid(const char *name, size_t len);
int kfkv_auth_input_build(struct kfkv_auth_input *in, bool from_client,
			  const u8 *target_nonce, const u8 *client_nonce,
			  const char *store);
int kfkv_key_cmp(const u8 *a, u16 alen, const u8 *b, u16 blen);
const char *kfkv_status_str(unsigned int status);

#endif /* _KFKV_PROTO_H */
