// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the kfi_tcp wire header validator
 * (providers/tcp/kfit_proto.c, built here in user space).
 *
 * Input layout: bytes 0..5 shape the receiving side's state and limits,
 * the rest is a stream of 40-byte headers.  Beyond "no crash, no
 * sanitizer report" the harness checks what the provider relies on: a
 * header the validator accepts is inside the limits (lengths, request
 * and response ids, the connection phase, flags and immediate data), and
 * encoding what was parsed gives back the bytes that were parsed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz_check.h"
#include "kfit_proto.h"

static void limits_from(const uint8_t *p, struct kfit_limits *lim)
{
	lim->connected = p[0] & 1;
	lim->passive = p[0] & 2;
	lim->max_msg = 1U << (p[1] % 24);
	lim->max_rma = 1 + (p[2] | p[3] << 8) % KFIT_MAX_RMA;
	lim->peer_rma = (p[4] | p[5] << 8) % (KFIT_MAX_RMA + 1);
}

static bool is_cm(uint8_t op)
{
	return op == KFIT_OP_CONNREQ || op == KFIT_OP_ACCEPT ||
	       op == KFIT_OP_REJECT;
}

static void check_accepted(const struct kfit_msg *m,
			   const struct kfit_limits *lim)
{
	CHECK(m->op >= KFIT_OP_CONNREQ && m->op < KFIT_OP_MAX);
	CHECK(m->credits <= KFIT_MAX_CREDITS);
	CHECK(!(m->flags & ~(KFIT_F_IMM | KFIT_F_CSWAP | KFIT_F_INV)));
	CHECK((m->flags & KFIT_F_IMM) || !m->data ||
	      m->op == KFIT_OP_ATOMIC || m->op == KFIT_OP_ATOMIC_RSP);
	if (is_cm(m->op)) {
		CHECK(!lim->connected);
		CHECK((m->op == KFIT_OP_CONNREQ) == lim->passive);
		CHECK(m->len <= KFIT_CM_DATA_MAX);
		CHECK(m->op == KFIT_OP_REJECT ||
		      (m->key >= 1 && m->key <= KFIT_MAX_RMA));
		return;
	}
	CHECK(lim->connected);
	/* An atomic's 8 bytes are fixed by the protocol, not the limit. */
	CHECK(m->len <= lim->max_msg || m->op == KFIT_OP_ATOMIC);
	switch (m->op) {
	case KFIT_OP_WRITE:
	case KFIT_OP_READ:
		CHECK(m->id < lim->peer_rma);
		break;
	case KFIT_OP_ATOMIC:
		CHECK(m->id < lim->peer_rma);
		CHECK(m->len == (m->flags & KFIT_F_CSWAP ? 8 : 0));
		CHECK(!(m->addr % 8));
		break;
	case KFIT_OP_WRITE_RSP:
	case KFIT_OP_ATOMIC_RSP:
		CHECK(!m->len);
		CHECK(m->id < lim->max_rma);
		break;
	case KFIT_OP_READ_RSP:
		CHECK(m->id < lim->max_rma);
		CHECK(m->status == KFIT_ST_OK || !m->len);
		break;
	case KFIT_OP_CREDIT:
		CHECK(!m->len);
		break;
	}
	if (m->op != KFIT_OP_WRITE_RSP && m->op != KFIT_OP_READ_RSP &&
	    m->op != KFIT_OP_ATOMIC_RSP)
		CHECK(m->status == KFIT_ST_OK);
	if (m->flags & KFIT_F_IMM)
		CHECK(m->op == KFIT_OP_SEND || m->op == KFIT_OP_WRITE);
	if (m->flags & KFIT_F_CSWAP)
		CHECK(m->op == KFIT_OP_ATOMIC);
	if (m->op == KFIT_OP_SEND)
		CHECK(!!(m->flags & KFIT_F_INV) == !!m->key);
	else
		CHECK(!(m->flags & KFIT_F_INV));
}

static void fuzz_one(const uint8_t *buf, const struct kfit_limits *lim)
{
	struct kfit_msg m, again;
	struct kfit_hdr h;

	if (kfit_hdr_parse(buf, KFIT_HDR_LEN, lim, &m))
		return;
	check_accepted(&m, lim);
	kfit_hdr_build(&h, &m);
	CHECK(!memcmp(&h, buf, KFIT_HDR_LEN));
	CHECK(!kfit_hdr_parse(&h, sizeof(h), lim, &again));
	CHECK(!memcmp(&m, &again, sizeof(m)));
}

int KFIT_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct kfit_limits lim;
	struct kfit_msg m;

	if (size < 6)
		return 0;
	limits_from(data, &lim);
	data += 6;
	size -= 6;
	/* A short header is refused, never read past. */
	CHECK(kfit_hdr_parse(data, size < KFIT_HDR_LEN ? size : 0, &lim,
			     &m) == -EINVAL);
	for (; size >= KFIT_HDR_LEN; data += KFIT_HDR_LEN,
	     size -= KFIT_HDR_LEN)
		fuzz_one(data, &lim);
	return 0;
}
