// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv wire protocol: encoders and validators.
 *
 * Everything that arrives from the peer goes through a parser here before
 * either module acts on it: the parsers copy the fixed parts out of the
 * receive buffer, check every length, offset, key and index, and hand
 * back host-order values that are safe to use as they are.  No kernel-only
 * dependencies: the fuzzer builds this file in user space.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#endif
#include "kfkv_proto.h"

#define KFKV_REQ_HDR	sizeof(struct kfkv_req)
#define KFKV_RSP_HDR	sizeof(struct kfkv_rsp)

/* Bytes a request with these variable parts takes on the wire. */
static u64 kfkv_req_bytes(u32 nr_segs, u32 key_len, u32 inline_len)
{
	return KFKV_REQ_HDR + (u64)nr_segs * sizeof(struct kfkv_seg) +
	       key_len + inline_len;
}

/*
 * Copy the segments out and check each: not empty, not wrapping the
 * address space, no larger than any value can be.
 */
static int kfkv_segs_parse(const u8 *p, struct kfkv_req_info *ri)
{
	struct kfkv_seg seg;
	u32 i;

	for (i = 0; i < ri->nr_segs; i++) {
		memcpy(&seg, p + i * sizeof(seg), sizeof(seg));
		ri->segs[i].addr = le64_to_cpu(seg.addr);
		ri->segs[i].key = le64_to_cpu(seg.key);
		ri->segs[i].len = le64_to_cpu(seg.len);
		if (!ri->segs[i].len || ri->segs[i].len > KFKV_VALUE_MAX ||
		    ri->segs[i].addr > U64_MAX - (ri->segs[i].len - 1))
			return -EPROTO;
		ri->seg_total += ri->segs[i].len;
	}
	return 0;
}

/* Where the value travels: inline (no segments) or in the segments. */
static int kfkv_value_ok(const struct kfkv_limits *lim,
			 const struct kfkv_req_info *ri, u32 inline_bytes)
{
	if (!ri->nr_segs)
		return ri->value_len <= lim->inline_max &&
		       inline_bytes == ri->value_len ?
		       KFKV_ST_OK : KFKV_ST_INVAL;
	return !inline_bytes && ri->seg_total == ri->value_len ?
	       KFKV_ST_OK : KFKV_ST_INVAL;
}

static int kfkv_put_ok(const struct kfkv_limits *lim,
		       const struct kfkv_req_info *ri)
{
	u16 allowed = KFKV_F_IF_ABSENT | KFKV_F_IF_VERSION | KFKV_F_DURABLE;

	if (ri->flags & ~allowed || !ri->key_len || ri->offset ||
	    (ri->flags & KFKV_F_IF_ABSENT && ri->flags & KFKV_F_IF_VERSION) ||
	    (!(ri->flags & KFKV_F_IF_VERSION) && ri->version))
		return KFKV_ST_INVAL;
	if (ri->value_len > lim->max_value)
		return KFKV_ST_TOOBIG;
	return kfkv_value_ok(lim, ri, ri->inline_len);
}

static int kfkv_get_ok(const struct kfkv_limits *lim,
		       const struct kfkv_req_info *ri)
{
	if (ri->flags & ~KFKV_F_RANGE || !ri->key_len || ri->version ||
	    ri->inline_len)
		return KFKV_ST_INVAL;
	if (!(ri->flags & KFKV_F_RANGE) && ri->offset)
		return KFKV_ST_INVAL;
	if (ri->offset > U64_MAX - ri->value_len)
		return KFKV_ST_INVAL;
	/* The inline answer must fit, so only inline_max can be asked. */
	return kfkv_value_ok(lim, ri, ri->nr_segs ? 0 : ri->value_len);
}

/* DELETE and STAT: a key, perhaps a version, nothing else. */
static int kfkv_key_op_ok(const struct kfkv_req_info *ri, u16 allowed)
{
	if (ri->flags & ~allowed || !ri->key_len || ri->nr_segs ||
	    ri->inline_len || ri->value_len || ri->offset ||
	    (!(ri->flags & KFKV_F_IF_VERSION) && ri->version))
		return KFKV_ST_INVAL;
	return KFKV_ST_OK;
}

static int kfkv_list_ok(const struct kfkv_req_info *ri)
{
	if (ri->flags || ri->nr_segs || ri->offset || ri->version ||
	    ri->inline_len > KFKV_KEY_MAX || !ri->value_len ||
	    ri->value_len > KFKV_LIST_MAX)
		return KFKV_ST_INVAL;
	return KFKV_ST_OK;
}

/* AUTH: the client's nonce and proof inline, nothing else. */
static int kfkv_auth_ok(const struct kfkv_req_info *ri)
{
	if (ri->flags || ri->key_len || ri->nr_segs || ri->value_len ||
	    ri->offset || ri->version ||
	    ri->inline_len != sizeof(struct kfkv_auth))
		return KFKV_ST_INVAL;
	return KFKV_ST_OK;
}

/* The fixed header: what must hold for the request to be answerable. */
static int kfkv_req_frame(const void *buf, size_t len,
			  const struct kfkv_limits *lim,
			  struct kfkv_req_info *ri, struct kfkv_req *hdr)
{
	if (len < KFKV_REQ_HDR || len > KFKV_MSG_SIZE)
		return -EPROTO;
	memcpy(hdr, buf, sizeof(*hdr));
	if (le32_to_cpu(hdr->magic) != KFKV_MAGIC_REQ ||
	    hdr->version != KFKV_PROTO_VERSION)
		return -EPROTO;
	ri->tag = le32_to_cpu(hdr->tag);
	ri->opcode = hdr->opcode;
	ri->flags = le16_to_cpu(hdr->flags);
	ri->key_len = le16_to_cpu(hdr->key_len);
	ri->nr_segs = hdr->nr_segs;
	ri->inline_len = le32_to_cpu(hdr->inline_len);
	ri->value_len = le64_to_cpu(hdr->value_len);
	ri->offset = le64_to_cpu(hdr->offset);
	ri->version = le64_to_cpu(hdr->expect);
	if (KFKV_TAG_INDEX(ri->tag) >= lim->depth ||
	    ri->key_len > KFKV_KEY_MAX || ri->nr_segs > lim->max_segs ||
	    ri->inline_len > KFKV_MSG_SIZE ||
	    kfkv_req_bytes(ri->nr_segs, ri->key_len, ri->inline_len) != len)
		return -EPROTO;
	return 0;
}

/**
 * kfkv_req_parse() - validate a received request
 * @buf: the received bytes
 * @len: how many arrived
 * @lim: the store and connection the request is checked against
 * @ri: the request in host order, segments and key copied out; the inline
 *	bytes stay in @buf at @ri->inline_off
 *
 * Return: KFKV_ST_OK; a positive enum kfkv_status to answer the request
 * with; or -EPROTO when the message cannot even be answered (wrong size,
 * magic, version or tag, lengths that do not add up to the message, a
 * segment that is empty or wraps), which ends the connection.
 */
int kfkv_req_parse(const void *buf, size_t len, const struct kfkv_limits *lim,
		   struct kfkv_req_info *ri)
{
	const u8 *p = buf;
	struct kfkv_req hdr;
	int ret;

	memset(ri, 0, sizeof(*ri));
	ret = kfkv_req_frame(buf, len, lim, ri, &hdr);
	if (ret)
		return ret;
	p += KFKV_REQ_HDR;
	if (kfkv_segs_parse(p, ri))
		return -EPROTO;
	p += ri->nr_segs * sizeof(struct kfkv_seg);
	memcpy(ri->key, p, ri->key_len);
	ri->inline_off = (u32)(p - (const u8 *)buf) + ri->key_len;
	if (hdr.reserved || hdr.reserved2)
		return KFKV_ST_INVAL;

	switch (ri->opcode) {
	case KFKV_OP_PUT:
		return kfkv_put_ok(lim, ri);
	case KFKV_OP_GET:
		return kfkv_get_ok(lim, ri);
	case KFKV_OP_DELETE:
		return kfkv_key_op_ok(ri, KFKV_F_IF_VERSION);
	case KFKV_OP_STAT:
		return kfkv_key_op_ok(ri, 0);
	case KFKV_OP_LIST:
		return kfkv_list_ok(ri);
	case KFKV_OP_AUTH:
		return kfkv_auth_ok(ri);
	default:
		return KFKV_ST_INVAL;
	}
}

/**
 * kfkv_req_size() - bytes the request @ri takes on the wire
 * @ri: the request
 *
 * Return: the size; over KFKV_MSG_SIZE if it cannot be sent.
 */
size_t kfkv_req_size(const struct kfkv_req_info *ri)
{
	return kfkv_req_bytes(ri->nr_segs, ri->key_len, ri->inline_len);
}

/**
 * kfkv_req_build() - encode a request
 * @buf: the wire form
 * @size: bytes at @buf
 * @ri: the request (segments and key from it)
 * @inl: @ri->inline_len bytes to carry after the key, or NULL when the
 *	caller puts them there itself (they end the message)
 *
 * Return: the message's length, or -EMSGSIZE if it does not fit @size (or
 * any message), -EINVAL for a key or segment count out of range.
 */
int kfkv_req_build(void *buf, size_t size, const struct kfkv_req_info *ri,
		   const void *inl)
{
	struct kfkv_req hdr = {
		.magic = cpu_to_le32(KFKV_MAGIC_REQ),
		.version = KFKV_PROTO_VERSION,
		.opcode = ri->opcode,
		.flags = cpu_to_le16(ri->flags),
		.tag = cpu_to_le32(ri->tag),
		.key_len = cpu_to_le16(ri->key_len),
		.nr_segs = ri->nr_segs,
		.inline_len = cpu_to_le32(ri->inline_len),
		.value_len = cpu_to_le64(ri->value_len),
		.offset = cpu_to_le64(ri->offset),
		.expect = cpu_to_le64(ri->version),
	};
	size_t total = kfkv_req_size(ri);
	u8 *p = buf;
	u32 i;

	if (ri->key_len > KFKV_KEY_MAX || ri->nr_segs > KFKV_MAX_SEGS)
		return -EINVAL;
	if (total > size || total > KFKV_MSG_SIZE)
		return -EMSGSIZE;
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	for (i = 0; i < ri->nr_segs; i++) {
		struct kfkv_seg seg = {
			.addr = cpu_to_le64(ri->segs[i].addr),
			.key = cpu_to_le64(ri->segs[i].key),
			.len = cpu_to_le64(ri->segs[i].len),
		};

		memcpy(p, &seg, sizeof(seg));
		p += sizeof(seg);
	}
	memcpy(p, ri->key, ri->key_len);
	p += ri->key_len;
	if (ri->inline_len && inl)
		memcpy(p, inl, ri->inline_len);
	return (int)total;
}

/**
 * kfkv_rsp_parse() - validate the header of a received answer
 * @buf: the received bytes
 * @len: how many arrived
 * @depth: the connection's depth; the tag must index below it
 * @ri: the answer in host order; its inline bytes follow the header in
 *	@buf
 *
 * The caller still checks that the tag names a request in flight and the
 * answer fits that request (kfkv_rsp_check()).
 *
 * Return: 0, or -EPROTO for an answer that must not be trusted.
 */
int kfkv_rsp_parse(const void *buf, size_t len, u32 depth,
		   struct kfkv_rsp_info *ri)
{
	struct kfkv_rsp rsp;

	memset(ri, 0, sizeof(*ri));
	if (len < KFKV_RSP_HDR || len > KFKV_MSG_SIZE)
		return -EPROTO;
	memcpy(&rsp, buf, sizeof(rsp));
	if (le32_to_cpu(rsp.magic) != KFKV_MAGIC_RSP ||
	    rsp.version != KFKV_PROTO_VERSION)
		return -EPROTO;
	ri->opcode = rsp.opcode;
	ri->status = le16_to_cpu(rsp.status);
	ri->tag = le32_to_cpu(rsp.tag);
	ri->inline_len = le32_to_cpu(rsp.inline_len);
	ri->size = le64_to_cpu(rsp.size);
	ri->version = le64_to_cpu(rsp.obj_version);
	ri->xfer = le64_to_cpu(rsp.xfer);
	if (KFKV_TAG_INDEX(ri->tag) >= depth || ri->status > KFKV_ST_MAX ||
	    ri->opcode < KFKV_OP_PUT || ri->opcode > KFKV_OP_AUTH ||
	    ri->inline_len != len - KFKV_RSP_HDR)
		return -EPROTO;
	if (ri->status != KFKV_ST_OK && ri->inline_len)
		return -EPROTO;
	return 0;
}

/* A successful GET delivers what the object has from the offset on. */
static int kfkv_get_rsp_ok(const struct kfkv_rsp_info *ri,
			   const struct kfkv_req_info *sent)
{
	u64 want = sent->value_len;

	if (ri->xfer > want || ri->size > KFKV_VALUE_MAX)
		return -EPROTO;
	if (sent->nr_segs ? ri->inline_len : ri->inline_len != ri->xfer)
		return -EPROTO;
	if (!(sent->flags & KFKV_F_RANGE))
		return ri->xfer == ri->size ? 0 : -EPROTO;
	if (sent->offset > ri->size ||
	    ri->xfer != (want < ri->size - sent->offset ?
			 want : ri->size - sent->offset))
		return -EPROTO;
	return 0;
}

/* A successful LIST carries exactly @size well-formed keys. */
static int kfkv_list_rsp_ok(const struct kfkv_rsp_info *ri,
			    const struct kfkv_req_info *sent, const u8 *inl)
{
	const u8 *key;
	u32 pos = 0;
	u64 n = 0;
	int ret;

	if (ri->xfer & ~(u64)KFKV_LIST_MORE || ri->size > sent->value_len)
		return -EPROTO;
	while ((ret = kfkv_list_next(inl, ri->inline_len, &pos, &key)) > 0)
		n++;
	return ret < 0 || n != ri->size ? -EPROTO : 0;
}

/**
 * kfkv_rsp_check() - does an answer fit the request it names?
 * @ri: an answer that passed kfkv_rsp_parse()
 * @sent: the request in flight at KFKV_TAG_INDEX(@ri->tag), as sent
 * @inl: the answer's @ri->inline_len inline bytes
 *
 * The full 32-bit tag and the opcode must match, and the sizes must be
 * those the request allows: a GET never delivers more than the buffer
 * offered, inline data comes only for an inline request, a LIST's keys
 * are well formed and as many as it says.  The caller also checks,
 * atomically, that the request has not been answered yet.
 *
 * Return: 0, or -EPROTO.
 */
int kfkv_rsp_check(const struct kfkv_rsp_info *ri,
		   const struct kfkv_req_info *sent, const u8 *inl)
{
	if (ri->tag != sent->tag || ri->opcode != sent->opcode)
		return -EPROTO;
	if (ri->status == KFKV_ST_OVERFLOW && ri->opcode != KFKV_OP_GET)
		return -EPROTO;
	if (ri->status != KFKV_ST_OK)
		return 0;
	switch (ri->opcode) {
	case KFKV_OP_GET:
		return kfkv_get_rsp_ok(ri, sent);
	case KFKV_OP_LIST:
		return kfkv_list_rsp_ok(ri, sent, inl);
	case KFKV_OP_AUTH:
		/* The target's proof, and nothing else. */
		return ri->inline_len != KFKV_MAC_LEN || ri->size ||
		       ri->version || ri->xfer ? -EPROTO : 0;
	default:
		if (ri->opcode == KFKV_OP_PUT && ri->size != sent->value_len)
			return -EPROTO;
		return ri->inline_len || ri->xfer ? -EPROTO : 0;
	}
}

/**
 * kfkv_rsp_build() - encode an answer header
 * @rsp: the wire form, written completely
 * @ri: the answer
 */
void kfkv_rsp_build(struct kfkv_rsp *rsp, const struct kfkv_rsp_info *ri)
{
	rsp->magic = cpu_to_le32(KFKV_MAGIC_RSP);
	rsp->version = KFKV_PROTO_VERSION;
	rsp->opcode = ri->opcode;
	rsp->status = cpu_to_le16(ri->status);
	rsp->tag = cpu_to_le32(ri->tag);
	rsp->inline_len = cpu_to_le32(ri->inline_len);
	rsp->size = cpu_to_le64(ri->size);
	rsp->obj_version = cpu_to_le64(ri->version);
	rsp->xfer = cpu_to_le64(ri->xfer);
}

/**
 * kfkv_list_next() - the next key of a LIST answer
 * @buf: the answer's inline bytes
 * @len: their count
 * @pos: where the next entry starts; advanced past it
 * @key: set to the key's bytes inside @buf
 *
 * An entry is one byte of length (1 to KFKV_KEY_MAX) and the key.
 *
 * Return: the key's length, 0 at the end, -EPROTO for a bad entry.
 */
int kfkv_list_next(const u8 *buf, u32 len, u32 *pos, const u8 **key)
{
	u32 klen;

	if (*pos >= len)
		return 0;
	klen = buf[*pos];
	if (!klen || klen > KFKV_KEY_MAX || klen > len - *pos - 1)
		return -EPROTO;
	*key = buf + *pos + 1;
	*pos += 1 + klen;
	return (int)klen;
}

/**
 * kfkv_list_put() - append a key to a LIST answer
 * @buf: the answer's inline bytes
 * @size: room at @buf
 * @pos: where the entry goes; advanced past it
 * @key: the key
 * @key_len: 1 to KFKV_KEY_MAX
 *
 * Return: 0, -ENOSPC when it does not fit, -EINVAL for a bad length.
 */
int kfkv_list_put(u8 *buf, u32 size, u32 *pos, const u8 *key, u16 key_len)
{
	if (!key_len || key_len > KFKV_KEY_MAX)
		return -EINVAL;
	if (*pos > size || 1U + key_len > size - *pos)
		return -ENOSPC;
	buf[*pos] = (u8)key_len;
	memcpy(buf + *pos + 1, key, key_len);
	*pos += 1 + key_len;
	return 0;
}

/**
 * kfkv_key_cmp() - the order of keys in a store (and of LIST answers)
 * @a: one key
 * @alen: its length
 * @b: the other
 * @blen: its length
 *
 * Bytes compare as unsigned; a key sorts after its own prefixes.
 *
 * Return: <0, 0 or >0 as @a sorts before, with or after @b.
 */
int kfkv_key_cmp(const u8 *a, u16 alen, const u8 *b, u16 blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (int)alen - (int)blen;
}

/**
 * kfkv_store_name_valid() - check a store name
 * @name: the name
 * @len: bytes available at @name
 *
 * A name is 1 to KFKV_STORE_NAME_LEN - 1 characters of [A-Za-z0-9._-],
 * not starting with a dot, NUL-terminated within @len bytes.
 *
 * Return: the name's length, or -EINVAL.
 */
int kfkv_store_name_valid(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < KFKV_STORE_NAME_LEN; i++) {
		char c = name[i];

		if (!c)
			return i ? (int)i : -EINVAL;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '.' && i) || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return -EINVAL;
}

/**
 * kfkv_cm_req_parse() - validate the private data of a connect
 * @buf: the private data
 * @len: its length; transports may pad it, so more is fine
 * @qi: the request in host order
 *
 * Return: KFKV_ST_OK, or the enum kfkv_status to reject with.
 */
int kfkv_cm_req_parse(const void *buf, size_t len,
		      struct kfkv_cm_req_info *qi)
{
	struct kfkv_cm_req req;
	int n;

	memset(qi, 0, sizeof(*qi));
	if (len < sizeof(req))
		return KFKV_ST_INVAL;
	memcpy(&req, buf, sizeof(req));
	if (le32_to_cpu(req.magic) != KFKV_MAGIC_CM_REQ)
		return KFKV_ST_INVAL;
	if (le16_to_cpu(req.version) != KFKV_PROTO_VERSION)
		return KFKV_ST_VERSION;
	qi->depth = le16_to_cpu(req.depth);
	qi->flags = le32_to_cpu(req.flags);
	if (!qi->depth || qi->depth > KFKV_MAX_DEPTH || qi->flags ||
	    req.reserved)
		return KFKV_ST_INVAL;
	n = kfkv_store_name_valid(req.store, sizeof(req.store));
	if (n < 0)
		return KFKV_ST_INVAL;
	memcpy(qi->store, req.store, n);
	return KFKV_ST_OK;
}

/**
 * kfkv_cm_req_build() - encode the private data of a connect
 * @req: the wire form, written completely
 * @qi: the request
 *
 * Return: 0, or -EINVAL for a bad store name or depth.
 */
int kfkv_cm_req_build(struct kfkv_cm_req *req,
		      const struct kfkv_cm_req_info *qi)
{
	int n = kfkv_store_name_valid(qi->store, sizeof(qi->store));

	if (n < 0 || !qi->depth || qi->depth > KFKV_MAX_DEPTH)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	req->magic = cpu_to_le32(KFKV_MAGIC_CM_REQ);
	req->version = cpu_to_le16(KFKV_PROTO_VERSION);
	req->depth = cpu_to_le16(qi->depth);
	req->flags = cpu_to_le32(qi->flags);
	memcpy(req->store, qi->store, n);
	return 0;
}

static bool kfkv_zero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/**
 * kfkv_cm_rep_parse() - validate the private data of an accept or reject
 * @buf: the private data
 * @len: its length (may be padded by the transport)
 * @pi: the reply in host order
 *
 * Return: 0 for a usable accept; -EPROTO for garbage; for a well-formed
 * reject, the positive enum kfkv_status it carries.
 */
int kfkv_cm_rep_parse(const void *buf, size_t len,
		      struct kfkv_cm_rep_info *pi)
{
	struct kfkv_cm_rep rep;

	memset(pi, 0, sizeof(*pi));
	if (len < sizeof(rep))
		return -EPROTO;
	memcpy(&rep, buf, sizeof(rep));
	if (le32_to_cpu(rep.magic) != KFKV_MAGIC_CM_REP ||
	    le16_to_cpu(rep.version) != KFKV_PROTO_VERSION)
		return -EPROTO;
	pi->status = le16_to_cpu(rep.status);
	if (pi->status > KFKV_ST_MAX)
		return -EPROTO;
	if (pi->status != KFKV_ST_OK)
		return pi->status;
	pi->depth = le16_to_cpu(rep.depth);
	pi->max_segs = le16_to_cpu(rep.max_segs);
	pi->inline_max = le32_to_cpu(rep.inline_max);
	pi->max_value = le64_to_cpu(rep.max_value);
	pi->flags = le32_to_cpu(rep.flags);
	if (!pi->depth || pi->depth > KFKV_MAX_DEPTH || !pi->max_segs ||
	    pi->max_segs > KFKV_MAX_SEGS ||
	    pi->inline_max > KFKV_INLINE_LIMIT ||
	    pi->max_value > KFKV_VALUE_MAX || rep.reserved ||
	    pi->flags & ~KFKV_CM_AUTH)
		return -EPROTO;
	/* No challenge is sent where none is asked for. */
	if (!(pi->flags & KFKV_CM_AUTH) &&
	    !kfkv_zero(rep.nonce, sizeof(rep.nonce)))
		return -EPROTO;
	memcpy(pi->nonce, rep.nonce, sizeof(pi->nonce));
	return 0;
}

/**
 * kfkv_cm_rep_build() - encode the private data of an accept or reject
 * @rep: the wire form, written completely
 * @pi: the reply; for a reject only @pi->status matters
 */
void kfkv_cm_rep_build(struct kfkv_cm_rep *rep,
		       const struct kfkv_cm_rep_info *pi)
{
	memset(rep, 0, sizeof(*rep));
	rep->magic = cpu_to_le32(KFKV_MAGIC_CM_REP);
	rep->version = cpu_to_le16(KFKV_PROTO_VERSION);
	rep->status = cpu_to_le16(pi->status);
	if (pi->status != KFKV_ST_OK)
		return;
	rep->depth = cpu_to_le16(pi->depth);
	rep->max_segs = cpu_to_le16(pi->max_segs);
	rep->inline_max = cpu_to_le32(pi->inline_max);
	rep->max_value = cpu_to_le64(pi->max_value);
	rep->flags = cpu_to_le32(pi->flags);
	if (pi->flags & KFKV_CM_AUTH)
		memcpy(rep->nonce, pi->nonce, sizeof(rep->nonce));
}

/**
 * kfkv_auth_input_build() - what one side's proof is an HMAC of
 * @in: written completely
 * @from_client: the client's proof (else the target's)
 * @target_nonce: KFKV_NONCE_LEN bytes the target chose
 * @client_nonce: KFKV_NONCE_LEN bytes the client chose
 * @store: the store's name
 *
 * Both nonces are in either proof, so neither side can be answered with
 * a proof recorded on another connection; the label keeps a proof of one
 * direction from passing for the other's; the store's name keeps a proof
 * for one store from opening another with the same secret.
 *
 * Return: 0, or -EINVAL for a bad store name.
 */
int kfkv_auth_input_build(struct kfkv_auth_input *in, bool from_client,
			  const u8 *target_nonce, const u8 *client_nonce,
			  const char *store)
{
	int n = kfkv_store_name_valid(store, KFKV_STORE_NAME_LEN);

	if (n < 0)
		return -EINVAL;
	memset(in, 0, sizeof(*in));
	memcpy(in->label, from_client ? KFKV_AUTH_LABEL_CLIENT :
		KFKV_AUTH_LABEL_TARGET, KFKV_AUTH_LABEL_LEN);
	memcpy(in->target_nonce, target_nonce, KFKV_NONCE_LEN);
	memcpy(in->client_nonce, client_nonce, KFKV_NONCE_LEN);
	memcpy(in->store, store, n);
	return 0;
}

/**
 * kfkv_status_str() - a status for log messages
 * @status: enum kfkv_status, or anything else
 *
 * Return: a constant string.
 */
const char *kfkv_status_str(unsigned int status)
{
	static const char * const names[] = {
		[KFKV_ST_OK] = "ok",
		[KFKV_ST_IOERR] = "I/O error",
		[KFKV_ST_INVAL] = "invalid",
		[KFKV_ST_NOENT] = "no such key",
		[KFKV_ST_EXIST] = "key exists",
		[KFKV_ST_CONFLICT] = "version conflict",
		[KFKV_ST_NOSPC] = "store full",
		[KFKV_ST_TOOBIG] = "value too large",
		[KFKV_ST_OVERFLOW] = "buffer too small",
		[KFKV_ST_RANGE] = "offset out of range",
		[KFKV_ST_XFER] = "transfer failed",
		[KFKV_ST_NOMEM] = "out of memory",
		[KFKV_ST_NOSTORE] = "no such store",
		[KFKV_ST_VERSION] = "version mismatch",
		[KFKV_ST_BUSY] = "busy",
		[KFKV_ST_AUTH] = "not authenticated",
	};

	return status <= KFKV_ST_MAX ? names[status] : "unknown";
}
