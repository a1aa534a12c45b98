/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfi_tcp wire protocol, version 1: the one header every message starts
 * with, its constants and its validator.
 *
 * Shared by kfi_tcp.ko and the user-space fuzzer (tools/testing/fuzz/), so
 * it depends on nothing kernel-only: outside the kernel, that directory's
 * kfi_proto_shim.h supplies the few types and byte-order helpers.  Every
 * multi-byte field is little endian.  Documentation/kfabric/tcp.rst is
 * the prose version.
 */
#ifndef _KFIT_PROTO_H
#define _KFIT_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <asm/byteorder.h>
#else
#include "kfi_proto_shim.h"
#endif

#define KFIT_PROTO_VERSION	1
#define KFIT_MAGIC		0x5443464bU	/* "KFCT" on the wire */

/* Limits of version 1; each side may announce smaller ones. */
#define KFIT_MAX_MSG		(4U << 20)	/* payload of one message */
#define KFIT_CM_DATA_MAX	128		/* private data of CM messages */
#define KFIT_MAX_RMA		8192		/* RMA ids one side announces */
#define KFIT_MAX_CREDITS	4096		/* credits one header grants */

enum kfit_op {
	KFIT_OP_CONNREQ = 1,	/* active side's hello + private data */
	KFIT_OP_ACCEPT = 2,	/* passive side's answer + private data */
	KFIT_OP_REJECT = 3,	/* refusal + private data; then close */
	KFIT_OP_SEND = 4,	/* a message for the peer's next receive */
	KFIT_OP_CREDIT = 5,	/* nothing but @credits */
	KFIT_OP_WRITE = 6,	/* RMA write: payload for @key at @addr */
	KFIT_OP_WRITE_RSP = 7,	/* its outcome, for request @id */
	KFIT_OP_READ = 8,	/* RMA read request of @len bytes */
	KFIT_OP_READ_RSP = 9,	/* the bytes (or an error) for request @id */
	KFIT_OP_ATOMIC = 10,	/* 64-bit fetch-add (or compare-swap) at @addr */
	KFIT_OP_ATOMIC_RSP = 11, /* the value before, in @data, for @id */
	KFIT_OP_MAX,
};

/* Flags (kfit_hdr.flags). */
#define KFIT_F_IMM		0x0001	/* @data is immediate data */
#define KFIT_F_CSWAP		0x0002	/* ATOMIC: compare-swap, not fetch-add */
#define KFIT_F_INV		0x0004	/* SEND: invalidate @key at the receiver */

enum kfit_status {
	KFIT_ST_OK = 0,
	KFIT_ST_ACCESS = 1,	/* bad key, rights or range */
	KFIT_ST_MAX,
};

/**
 * struct kfit_hdr - the first 40 bytes of every message
 * @version: KFIT_PROTO_VERSION
 * @op: enum kfit_op
 * @flags: KFIT_F_*; only those the op allows
 * @credits: receives the sender posted since its last grant
 * @status: enum kfit_status in responses, else 0
 * @rsvd: 0
 * @len: payload bytes following (READ: bytes asked for; ATOMIC: 8, the
 *	value to compare, with KFIT_F_CSWAP, else 0)
 * @id: request id (WRITE, READ and their responses), else 0; for the CM
 *	messages KFIT_MAGIC
 * @data: immediate data (KFIT_F_IMM); the operand (ATOMIC) or the value
 *	before (ATOMIC_RSP); else 0
 * @addr: remote address (WRITE, READ, ATOMIC: 8-byte aligned), else 0
 * @key: remote key (WRITE, READ, ATOMIC; SEND with KFIT_F_INV: the key
 *	to invalidate); in CONNREQ and ACCEPT the number of
 *	RMA request ids the sender uses (1 to KFIT_MAX_RMA); else 0
 */
struct kfit_hdr {
	u8 version;
	u8 op;
	__le16 flags;
	__le16 credits;
	u8 status;
	u8 rsvd;
	__le32 len;
	__le32 id;
	__le64 data;
	__le64 addr;
	__le64 key;
};

#define KFIT_HDR_LEN		40
static_assert(sizeof(struct kfit_hdr) == KFIT_HDR_LEN);

/**
 * struct kfit_limits - what a header is checked against
 * @max_msg: largest SEND / WRITE / READ payload this side takes
 * @max_rma: RMA request ids this side hands out (responses' @id below it)
 * @peer_rma: RMA request ids the peer announced (requests' @id below it)
 * @connected: the handshake is over (data ops allowed, CM ops not)
 * @passive: this side accepted (it may receive CONNREQ, not ACCEPT/REJECT)
 */
struct kfit_limits {
	u32 max_msg;
	u32 max_rma;
	u32 peer_rma;
	bool connected;
	bool passive;
};

/**
 * struct kfit_msg - a validated header, in host order
 */
struct kfit_msg {
	u8 op;
	u8 status;
	u16 flags;
	u16 credits;
	u32 len;
	u32 id;
	u64 data;
	u64 addr;
	u64 key;
};

int kfit_hdr_parse(const void *buf, size_t len, const struct kfit_limits *lim,
		   struct kfit_msg *msg);
void kfit_hdr_build(struct kfit_hdr *h, const struct kfit_msg *msg);

#endif /* _KFIT_PROTO_H */
