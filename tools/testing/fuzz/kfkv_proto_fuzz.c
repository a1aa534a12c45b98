// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the kfkv wire protocol parsers
 * (consumers/kv/kfkv_proto.c, built here in user space).
 *
 * Input layout: byte 0 picks the parser, bytes 1..8 shape the limits (or,
 * for answers, the request they answer), the rest is the message.  Beyond
 * "no crash, no sanitizer report" the harness checks what the modules rely
 * on: whatever a parser accepts lies inside the limits and inside the
 * message, and encoding what was parsed gives back the same bytes.
 */
#include <stdint.h>
#include "fuzz_check.h"
#include "kfkv_proto.h"

static void limits_from(const uint8_t *p, struct kfkv_limits *lim)
{
	lim->depth = 1 + p[0] % KFKV_MAX_DEPTH;
	lim->max_segs = 1 + p[1] % KFKV_MAX_SEGS;
	lim->inline_max = (p[2] | (uint32_t)p[3] << 8) % (KFKV_INLINE_LIMIT + 1);
	lim->max_value = (uint64_t)(p[4] | (uint32_t)p[5] << 8) << (p[6] % 16);
}

/* What an accepted request promises the target. */
static void req_accepted(const struct kfkv_req_info *ri, size_t len,
			 const struct kfkv_limits *lim)
{
	CHECK(ri->key_len <= KFKV_KEY_MAX);
	CHECK(ri->nr_segs <= lim->max_segs);
	CHECK((size_t)ri->inline_off + ri->inline_len == len);
	switch (ri->opcode) {
	case KFKV_OP_PUT:
		CHECK(ri->key_len && ri->value_len <= lim->max_value);
		if (!ri->nr_segs)
			CHECK(ri->inline_len == ri->value_len &&
			      ri->value_len <= lim->inline_max);
		else
			CHECK(!ri->inline_len && ri->seg_total == ri->value_len);
		break;
	case KFKV_OP_GET:
		CHECK(ri->key_len && !ri->inline_len);
		CHECK(ri->nr_segs ? ri->seg_total == ri->value_len :
				    ri->value_len <= lim->inline_max);
		CHECK(ri->offset <= UINT64_MAX - ri->value_len);
		break;
	case KFKV_OP_LIST:
		CHECK(!ri->nr_segs && ri->inline_len <= KFKV_KEY_MAX);
		CHECK(ri->value_len >= 1 && ri->value_len <= KFKV_LIST_MAX);
		break;
	case KFKV_OP_AUTH:
		/* The target copies exactly a struct kfkv_auth out. */
		CHECK(!ri->key_len && !ri->nr_segs && !ri->value_len);
		CHECK(ri->inline_len == sizeof(struct kfkv_auth));
		break;
	default:
		CHECK(ri->opcode == KFKV_OP_DELETE || ri->opcode == KFKV_OP_STAT);
		CHECK(ri->key_len && !ri->nr_segs && !ri->inline_len &&
		      !ri->value_len);
		break;
	}
}

static void fuzz_req(const uint8_t *buf, size_t len,
		     const struct kfkv_limits *lim)
{
	static struct kfkv_req_info ri;
	static uint8_t out[KFKV_MSG_SIZE];
	uint32_t i;
	int st = kfkv_req_parse(buf, len, lim, &ri);
	int n;

	if (st < 0)
		return;
	CHECK(KFKV_TAG_INDEX(ri.tag) < lim->depth);
	CHECK(st <= KFKV_ST_MAX);
	for (i = 0; i < ri.nr_segs; i++)
		CHECK(ri.segs[i].len &&
		      ri.segs[i].addr <= UINT64_MAX - (ri.segs[i].len - 1));
	if (st != KFKV_ST_OK)
		return;
	req_accepted(&ri, len, lim);
	/* Every byte of an accepted request is accounted for. */
	n = kfkv_req_build(out, sizeof(out), &ri, buf + ri.inline_off);
	CHECK(n == (int)len && !memcmp(out, buf, len));
}

/* The request an answer is checked against, from 8 input bytes. */
static void sent_from(const uint8_t *p, struct kfkv_req_info *sent)
{
	memset(sent, 0, sizeof(*sent));
	sent->opcode = 1 + p[0] % 6;
	sent->flags = p[1] & 0xf;
	sent->tag = p[2] | (uint32_t)p[3] << 16;
	sent->value_len = (uint64_t)(p[4] | (uint32_t)p[5] << 8) << (p[6] % 12);
	sent->nr_segs = p[7] & 1;
	sent->offset = p[7] >> 1;
}

static void fuzz_rsp(const uint8_t *buf, size_t len, const uint8_t *shape)
{
	struct kfkv_req_info sent;
	struct kfkv_rsp_info ri;
	const uint8_t *key;
	uint32_t pos = 0;
	uint64_t n = 0;
	int k;

	if (kfkv_rsp_parse(buf, len, KFKV_MAX_DEPTH, &ri))
		return;
	CHECK(ri.inline_len == len - sizeof(struct kfkv_rsp));
	sent_from(shape, &sent);
	if (kfkv_rsp_check(&ri, &sent, buf + sizeof(struct kfkv_rsp)))
		return;
	CHECK(ri.tag == sent.tag && ri.opcode == sent.opcode);
	if (ri.status != KFKV_ST_OK)
		return;
	/* The client copies exactly KFKV_MAC_LEN bytes of proof out. */
	if (ri.opcode == KFKV_OP_AUTH)
		CHECK(ri.inline_len == KFKV_MAC_LEN);
	if (ri.opcode == KFKV_OP_GET) {
		CHECK(ri.xfer <= sent.value_len);
		CHECK(sent.nr_segs ? !ri.inline_len : ri.inline_len == ri.xfer);
	}
	if (ri.opcode != KFKV_OP_LIST)
		return;
	while ((k = kfkv_list_next(buf + sizeof(struct kfkv_rsp),
				   ri.inline_len, &pos, &key)) > 0) {
		CHECK(k <= KFKV_KEY_MAX && pos <= ri.inline_len);
		n++;
	}
	CHECK(k == 0 && n == ri.size && n <= sent.value_len);
}

static void fuzz_cm_req(const uint8_t *buf, size_t len)
{
	struct kfkv_cm_req_info qi, again;
	struct kfkv_cm_req req;

	if (kfkv_cm_req_parse(buf, len, &qi) != KFKV_ST_OK)
		return;
	CHECK(qi.depth >= 1 && qi.depth <= KFKV_MAX_DEPTH);
	CHECK(kfkv_store_name_valid(qi.store, sizeof(qi.store)) > 0);
	CHECK(!kfkv_cm_req_build(&req, &qi));
	CHECK(kfkv_cm_req_parse(&req, sizeof(req), &again) == KFKV_ST_OK);
	CHECK(!memcmp(&qi, &again, sizeof(qi)));
}

static void fuzz_cm_rep(const uint8_t *buf, size_t len)
{
	struct kfkv_cm_rep_info pi, again;
	struct kfkv_cm_rep rep;
	int st = kfkv_cm_rep_parse(buf, len, &pi);

	if (st < 0)
		return;
	CHECK(st <= KFKV_ST_MAX);
	if (st)
		return;
	CHECK(pi.depth && pi.depth <= KFKV_MAX_DEPTH);
	CHECK(pi.max_segs && pi.max_segs <= KFKV_MAX_SEGS);
	CHECK(pi.inline_max <= KFKV_INLINE_LIMIT);
	CHECK(pi.max_value <= KFKV_VALUE_MAX);
	CHECK(!(pi.flags & ~KFKV_CM_AUTH));
	kfkv_cm_rep_build(&rep, &pi);
	CHECK(kfkv_cm_rep_parse(&rep, sizeof(rep), &again) == 0);
	CHECK(!memcmp(&pi, &again, sizeof(pi)));
}

/*
 * What a proof is computed over: a store name from anywhere comes out
 * valid and NUL-padded, or is refused.
 */
static void fuzz_auth_input(const uint8_t *buf, size_t len)
{
	static const uint8_t tn[KFKV_NONCE_LEN] = { 1 }, cn[KFKV_NONCE_LEN] = { 2 };
	char store[KFKV_STORE_NAME_LEN] = "";
	struct kfkv_auth_input in;
	int n;

	memcpy(store, buf, len < sizeof(store) ? len : sizeof(store));
	if (kfkv_auth_input_build(&in, len & 1, tn, cn, store))
		return;
	n = kfkv_store_name_valid(in.store, sizeof(in.store));
	CHECK(n > 0 && !memcmp(in.store, store, n));
	while (n < KFKV_STORE_NAME_LEN)
		CHECK(!in.store[n++]);
	CHECK(!memcmp(in.label, len & 1 ? KFKV_AUTH_LABEL_CLIENT :
		      KFKV_AUTH_LABEL_TARGET, KFKV_AUTH_LABEL_LEN));
	CHECK(!memcmp(in.target_nonce, tn, sizeof(tn)) &&
	      !memcmp(in.client_nonce, cn, sizeof(cn)));
}

/* Keys appended and walked back come out the same and in bounds. */
static void fuzz_list(const uint8_t *buf, size_t len)
{
	static uint8_t out[KFKV_MSG_SIZE];
	uint32_t in = 0, pos = 0, back = 0;
	const uint8_t *key;
	int k;

	while (in < len) {
		uint16_t klen = buf[in];

		if (klen > len - in - 1)
			klen = len - in - 1;
		if (kfkv_list_put(out, sizeof(out), &pos, buf + in + 1,
				  klen) == -ENOSPC)
			break;
		in += 1 + klen;
	}
	while ((k = kfkv_list_next(out, pos, &back, &key)) > 0)
		CHECK(key > out && key + k <= out + pos);
	CHECK(k == 0 && back == pos);
}

/* libFuzzer's entry point; run.sh passes its name in. */
int KFKV_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct kfkv_limits lim;
	const uint8_t *shape;
	uint8_t sel;

	if (size < 9)
		return 0;
	sel = data[0];
	shape = data + 1;
	limits_from(shape, &lim);
	data += 9;
	size -= 9;

	switch (sel % 6) {
	case 0:
		fuzz_req(data, size, &lim);
		break;
	case 1:
		fuzz_rsp(data, size, shape);
		break;
	case 2:
		fuzz_cm_req(data, size);
		break;
	case 3:
		fuzz_cm_rep(data, size);
		break;
	case 5:
		fuzz_auth_input(data, size);
		break;
	default:
		fuzz_list(data, size);
		break;
	}
	return 0;
}
