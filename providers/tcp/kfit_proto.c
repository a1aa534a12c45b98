// SPDX-License-Identifier: GPL-2.0
/*
 * kfi_tcp wire protocol: the header validator and encoder.
 *
 * Every header that arrives goes through kfit_hdr_parse() before the
 * provider looks at it: the parser copies it out of the receive buffer,
 * checks every field against the protocol and the receiving side's state
 * and limits, and hands back host-order values that are safe to use as
 * they are.  What needs the provider's own state (is request @id in
 * flight, does the key exist) is checked there.  No kernel-only
 * dependencies: the fuzzer builds this file in user space.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#endif
#include "kfit_proto.h"

/* Flags each op may carry. */
static const u16 kfit_op_flags[KFIT_OP_MAX] = {
	[KFIT_OP_SEND] = KFIT_F_IMM | KFIT_F_INV,
	[KFIT_OP_WRITE] = KFIT_F_IMM,
	[KFIT_OP_ATOMIC] = KFIT_F_CSWAP,
};

static bool kfit_is_cm(u8 op)
{
	return op == KFIT_OP_CONNREQ || op == KFIT_OP_ACCEPT ||
	       op == KFIT_OP_REJECT;
}

static bool kfit_is_rsp(u8 op)
{
	return op == KFIT_OP_WRITE_RSP || op == KFIT_OP_READ_RSP ||
	       op == KFIT_OP_ATOMIC_RSP;
}

/* Ops whose @data is a value of their own, not immediate data. */
static bool kfit_has_data(u8 op)
{
	return op == KFIT_OP_ATOMIC || op == KFIT_OP_ATOMIC_RSP;
}

/* The connection-management messages: only during the handshake. */
static int kfit_check_cm(const struct kfit_msg *m,
			 const struct kfit_limits *lim)
{
	bool connreq = m->op == KFIT_OP_CONNREQ;

	if (lim->connected || connreq != lim->passive)
		return -EPROTO;
	if (m->id != KFIT_MAGIC || m->addr || m->len > KFIT_CM_DATA_MAX)
		return -EPROTO;
	if (m->op == KFIT_OP_REJECT)
		return m->key ? -EPROTO : 0;
	return m->key && m->key <= KFIT_MAX_RMA ? 0 : -EPROTO;
}

/* Requests name a remote buffer; responses one of our requests. */
static int kfit_check_data(const struct kfit_msg *m,
			   const struct kfit_limits *lim)
{
	if (!lim->connected)
		return -EPROTO;
	switch (m->op) {
	case KFIT_OP_SEND:
		if (!!(m->flags & KFIT_F_INV) != !!m->key)
			return -EPROTO;
		return m->len <= lim->max_msg && !m->id && !m->addr ?
		       0 : -EPROTO;
	case KFIT_OP_CREDIT:
		return !m->len && !m->id && !m->addr && !m->key ? 0 : -EPROTO;
	case KFIT_OP_WRITE:
	case KFIT_OP_READ:
		return m->len <= lim->max_msg && m->id < lim->peer_rma ?
		       0 : -EPROTO;
	case KFIT_OP_ATOMIC:
		if (m->len != (m->flags & KFIT_F_CSWAP ? 8 : 0) || m->addr % 8)
			return -EPROTO;
		return m->id < lim->peer_rma ? 0 : -EPROTO;
	case KFIT_OP_WRITE_RSP:
	case KFIT_OP_ATOMIC_RSP:
		return !m->len && m->id < lim->max_rma && !m->addr &&
		       !m->key ? 0 : -EPROTO;
	case KFIT_OP_READ_RSP:
		if (m->status != KFIT_ST_OK && m->len)
			return -EPROTO;
		return m->len <= lim->max_msg && m->id < lim->max_rma &&
		       !m->addr && !m->key ? 0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

/**
 * kfit_hdr_parse() - validate one received header
 * @buf: the bytes received
 * @len: bytes at @buf; KFIT_HDR_LEN are read
 * @lim: the receiving side's limits and state
 * @msg: receives the header in host order (only on success)
 *
 * Return: 0, or -EPROTO for anything version 1 does not allow here (the
 * peer then loses the connection); -EINVAL when @len is short.
 */
int kfit_hdr_parse(const void *buf, size_t len, const struct kfit_limits *lim,
		   struct kfit_msg *msg)
{
	struct kfit_hdr h;
	struct kfit_msg m;

	if (len < KFIT_HDR_LEN)
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	if (h.version != KFIT_PROTO_VERSION || !h.op || h.op >= KFIT_OP_MAX ||
	    h.rsvd)
		return -EPROTO;
	m.op = h.op;
	m.status = h.status;
	m.flags = le16_to_cpu(h.flags);
	m.credits = le16_to_cpu(h.credits);
	m.len = le32_to_cpu(h.len);
	m.id = le32_to_cpu(h.id);
	m.data = le64_to_cpu(h.data);
	m.addr = le64_to_cpu(h.addr);
	m.key = le64_to_cpu(h.key);

	if (m.flags & ~kfit_op_flags[m.op])
		return -EPROTO;
	if (!(m.flags & KFIT_F_IMM) && m.data && !kfit_has_data(m.op))
		return -EPROTO;
	if (m.status >= KFIT_ST_MAX ||
	    (m.status != KFIT_ST_OK && !kfit_is_rsp(m.op)))
		return -EPROTO;
	if (m.credits > KFIT_MAX_CREDITS)
		return -EPROTO;
	if (kfit_is_cm(m.op) ? kfit_check_cm(&m, lim) :
	    kfit_check_data(&m, lim))
		return -EPROTO;
	*msg = m;
	return 0;
}

/**
 * kfit_hdr_build() - encode a header
 * @h: receives the wire form
 * @msg: the fields, in host order
 */
void kfit_hdr_build(struct kfit_hdr *h, const struct kfit_msg *msg)
{
	memset(h, 0, sizeof(*h));
	h->version = KFIT_PROTO_VERSION;
	h->op = msg->op;
	h->flags = cpu_to_le16(msg->flags);
	h->credits = cpu_to_le16(msg->credits);
	h->status = msg->status;
	h->len = cpu_to_le32(msg->len);
	h->id = cpu_to_le32(msg->id);
	h->data = cpu_to_le64(msg->data);
	h->addr = cpu_to_le64(msg->addr);
	h->key = cpu_to_le64(msg->key);
}
