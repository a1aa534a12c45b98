// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the kfblk wire protocol parsers
 * (consumers/block/kfblk_proto.c, built here in user space).
 *
 * Input layout: byte 0 picks the parser, bytes 1..8 shape the limits a
 * command is checked against, the rest is the message.  Beyond "no crash,
 * no sanitizer report" the harness checks properties the modules rely on:
 * whatever a parser accepts is inside the limits, and encoding what was
 * parsed and parsing it again gives the same thing.
 *
 * The fifth mode takes the rest as a sequence of events on one client
 * queue -- commands sent, answers arriving (raw bytes, or well-formed ones
 * naming any tag, generation and opcode), timeouts -- and runs them
 * through the client's acceptance rule (kfblk_rsp_parse() then
 * kfblk_rsp_match() against the command in flight, answered at most
 * once), checking that no command completes twice or without having been
 * sent, and that whatever the answers, everything sent completes exactly
 * once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz_check.h"
#include "kfblk_proto.h"

static void limits_from(const uint8_t *p, struct kfblk_limits *lim)
{
	lim->lbs = 512U << (p[0] % 4);
	lim->capacity = ((uint64_t)p[1] << (p[2] % 56)) &
			~(uint64_t)((lim->lbs >> 9) - 1);
	lim->max_io = lim->lbs * (1 + p[3] % 64);
	lim->max_discard_sectors = p[4] * 8U;
	lim->max_write_zeroes_sectors = p[5] * 8U;
	lim->queue_depth = 1 + p[6] % 128;
	lim->caps = p[7] & KFBLK_CAP_ALL;
	/* Inline data when the caps say so: 1 to 8 blocks, within max_io. */
	lim->inline_max = 0;
	if (lim->caps & KFBLK_CAP_INLINE) {
		lim->inline_max = lim->lbs * (1 + p[3] % 8);
		if (lim->inline_max > lim->max_io)
			lim->inline_max = lim->max_io;
	}
}

static void fuzz_cmd(const uint8_t *buf, size_t len,
		     const struct kfblk_limits *lim)
{
	struct kfblk_cmd_info ci, again;
	struct kfblk_cmd cmd;
	int st = kfblk_cmd_parse(buf, len, lim, &ci);

	if (st < 0)
		return;
	CHECK(KFBLK_TAG_INDEX(ci.tag) < lim->queue_depth);
	if (st == KFBLK_ST_OK) {
		uint64_t nr = ci.len >> 9;

		CHECK(ci.opcode >= KFBLK_OP_READ &&
		      ci.opcode <= KFBLK_OP_KEEPALIVE);
		CHECK(ci.sector + nr <= lim->capacity);
		CHECK(ci.sector + nr >= ci.sector);
		CHECK(ci.len % lim->lbs == 0);
		if (ci.opcode == KFBLK_OP_READ || ci.opcode == KFBLK_OP_WRITE) {
			CHECK(ci.len && ci.len <= lim->max_io);
			CHECK(ci.raddr + ci.len - 1 >= ci.raddr);
		}
		/* Inline: a WRITE, agreed, its data exactly what came. */
		if (ci.flags & KFBLK_CMD_INLINE)
			CHECK(ci.opcode == KFBLK_OP_WRITE &&
			      ci.len <= lim->inline_max &&
			      len == sizeof(cmd) + ci.len &&
			      !ci.raddr && !ci.rkey);
		else
			CHECK(len == sizeof(cmd));
		if (ci.opcode != KFBLK_OP_READ)
			CHECK(!(lim->caps & KFBLK_CAP_READ_ONLY) ||
			      ci.opcode == KFBLK_OP_FLUSH ||
			      ci.opcode == KFBLK_OP_KEEPALIVE);
	}
	/* A reserved field set is refused, and the encoder clears it. */
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.reserved)
		return;
	kfblk_cmd_build(&cmd, &ci);
	/* The parser reads the command only; @len still counts the data. */
	CHECK(kfblk_cmd_parse(&cmd, len, lim, &again) == st);
	CHECK(!memcmp(&ci, &again, sizeof(ci)));
}

static void fuzz_rsp(const uint8_t *buf, size_t len, uint32_t depth)
{
	struct kfblk_rsp_info ri, again;
	struct kfblk_rsp rsp;

	if (kfblk_rsp_parse(buf, len, depth, &ri))
		return;
	CHECK(KFBLK_TAG_INDEX(ri.tag) < depth && ri.status <= KFBLK_ST_MAX);
	CHECK(kfblk_status_str(ri.status));
	kfblk_rsp_build(&rsp, &ri);
	CHECK(!kfblk_rsp_parse(&rsp, sizeof(rsp), depth, &again));
	CHECK(!memcmp(&ri, &again, sizeof(ri)));
}

static void fuzz_cm_req(const uint8_t *buf, size_t len)
{
	struct kfblk_cm_req_info qi, again;
	struct kfblk_cm_req req;

	if (kfblk_cm_req_parse(buf, len, &qi) != KFBLK_ST_OK)
		return;
	CHECK(qi.qid < qi.nr_queues && qi.queue_depth);
	CHECK(memchr(qi.export_name, 0, sizeof(qi.export_name)));
	CHECK(!kfblk_cm_req_build(&req, &qi));
	CHECK(kfblk_cm_req_parse(&req, sizeof(req), &again) == KFBLK_ST_OK);
	CHECK(!memcmp(&qi, &again, sizeof(qi)));
}

static void fuzz_cm_rep(const uint8_t *buf, size_t len)
{
	struct kfblk_cm_rep_info pi, again;
	struct kfblk_cm_rep rep;
	int ret = kfblk_cm_rep_parse(buf, len, &pi);

	if (ret < 0)
		return;
	kfblk_cm_rep_build(&rep, &pi);
	CHECK(kfblk_cm_rep_parse(&rep, sizeof(rep), &again) == ret);
	if (ret)
		return;
	CHECK(pi.logical_block_size >= 512 && pi.logical_block_size <= 4096);
	CHECK(pi.max_io >= pi.logical_block_size);
	CHECK(pi.max_io % pi.logical_block_size == 0);
	CHECK(!pi.inline_max || (pi.caps & KFBLK_CAP_INLINE &&
				 pi.inline_max <= pi.max_io &&
				 pi.inline_max <= KFBLK_MAX_INLINE &&
				 pi.inline_max % pi.logical_block_size == 0));
	CHECK(!(pi.caps & KFBLK_CAP_INLINE) || pi.inline_max);
	CHECK(!memcmp(&pi, &again, sizeof(pi)));
}

/* One client queue as the sequence mode models it. */
struct seq_queue {
	uint32_t depth;
	bool failed;			/* a protocol error failed the device */
	struct kfblk_cmd sent[128];	/* as sent, per tag index */
	uint16_t gen[128];
	bool awaiting[128];		/* sent, not answered */
	uint32_t issued[128];
	uint32_t completed[128];
};

static void seq_complete(struct seq_queue *q, uint32_t i)
{
	CHECK(q->awaiting[i]);
	q->awaiting[i] = false;
	q->completed[i]++;
	CHECK(q->completed[i] == q->issued[i]);
}

/* A protocol error or a timeout: the device fails what is in flight. */
static void seq_fail(struct seq_queue *q)
{
	uint32_t i;

	q->failed = true;
	for (i = 0; i < q->depth; i++)
		if (q->awaiting[i])
			seq_complete(q, i);
}

static void seq_send(struct seq_queue *q, const struct kfblk_limits *lim,
		     uint8_t a, uint8_t b)
{
	uint32_t i = a % q->depth;
	uint8_t op = KFBLK_OP_READ + b % 6;
	bool data = op <= KFBLK_OP_WRITE;
	struct kfblk_cmd_info ci = {
		.opcode = op,
		.len = op == KFBLK_OP_FLUSH || op == KFBLK_OP_KEEPALIVE ?
		       0 : lim->lbs,
		.raddr = data ? 4096 : 0,
		.rkey = data ? 7 : 0,
	};

	if (q->failed || q->awaiting[i])
		return;
	q->gen[i]++;
	ci.tag = i | (uint32_t)q->gen[i] << 16;
	kfblk_cmd_build(&q->sent[i], &ci);
	q->awaiting[i] = true;
	q->issued[i]++;
}

/* An answer arrived: accept it as the client does, or fail the device. */
static void seq_answer(struct seq_queue *q, const void *buf, size_t len)
{
	struct kfblk_rsp_info ri;
	uint32_t i;

	if (q->failed)
		return;
	if (kfblk_rsp_parse(buf, len, q->depth, &ri)) {
		seq_fail(q);
		return;
	}
	i = KFBLK_TAG_INDEX(ri.tag);
	if (!q->awaiting[i] || !kfblk_rsp_match(&ri, &q->sent[i])) {
		seq_fail(q);
		return;
	}
	CHECK(ri.tag == le32_to_cpu(q->sent[i].tag) &&
	      ri.opcode == q->sent[i].opcode);
	seq_complete(q, i);
}

/* A well-formed answer to index @a, generation off by @b % 3, opcode @c. */
static void seq_forge(struct seq_queue *q, uint8_t a, uint8_t b, uint8_t c)
{
	uint32_t i = a % q->depth;
	struct kfblk_rsp_info ri = {
		.opcode = c % 2 ? q->sent[i].opcode : KFBLK_OP_READ + c % 6,
		.status = c % (KFBLK_ST_MAX + 1),
		.tag = i | (uint32_t)(uint16_t)(q->gen[i] - b % 3) << 16,
	};
	struct kfblk_rsp rsp;

	kfblk_rsp_build(&rsp, &ri);
	seq_answer(q, &rsp, sizeof(rsp));
}

static void fuzz_seq(const uint8_t *p, size_t n,
		     const struct kfblk_limits *lim)
{
	static struct seq_queue q;
	size_t raw;
	uint32_t i;

	memset(&q, 0, sizeof(q));
	q.depth = lim->queue_depth;
	while (n >= 4) {
		switch (p[0] % 4) {
		case 0:
			seq_send(&q, lim, p[1], p[2]);
			break;
		case 1:
			/* Raw bytes: p[1] % 20 of them, 16 is a response. */
			raw = p[1] % 20;
			if (n - 4 < raw)
				return;
			seq_answer(&q, p + 4, raw);
			p += raw;
			n -= raw;
			break;
		case 2:
			seq_forge(&q, p[1], p[2], p[3]);
			break;
		default:
			if (p[1] % 8 == 0)
				seq_fail(&q);
			break;
		}
		p += 4;
		n -= 4;
	}
	/* Whatever happened, user space got every I/O back exactly once. */
	seq_fail(&q);
	for (i = 0; i < q.depth; i++)
		CHECK(q.completed[i] == q.issued[i] && !q.awaiting[i]);
}

/* libFuzzer's entry point; run.sh passes its name in. */
int KFBLK_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct kfblk_limits lim;
	uint8_t sel;

	if (size < 9)
		return 0;
	sel = data[0];
	limits_from(data + 1, &lim);
	data += 9;
	size -= 9;

	switch (sel % 5) {
	case 0:
		fuzz_cmd(data, size, &lim);
		break;
	case 1:
		fuzz_rsp(data, size, lim.queue_depth);
		break;
	case 2:
		fuzz_cm_req(data, size);
		break;
	case 3:
		fuzz_cm_rep(data, size);
		break;
	default:
		fuzz_seq(data, size, &lim);
		break;
	}
	return 0;
}
