// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile kfkv target: accepts the kfkv client as a store without a
 * secret would, and answers every request wrongly in the way the case
 * says.  The script opens a handle on it with modules/kfkv_test.ko
 * (case hostile_target) and checks that each operation fails with an
 * error within the handle's timeout, once, and that nothing hangs.
 *
 * The rma_* and stale_key cases write by RMA where a GET did not offer:
 * across either end of its segment, or into the segment of a GET already
 * answered.  They send no answer: the fabric must refuse the write, and
 * kfkv_test.ko (case hostile_rma) checks that the GET fails and that no
 * byte it did not offer changed.  What this side did is left in
 * read-only module parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include "kfkv_hostile.h"

#define HT_DEPTH	16
#define HT_SLOTS	(2 * HT_DEPTH + 1)
#define HT_CONNS	8
/* Room for the requests kfkv_test sends it (STATs), not for any. */
#define HT_MSG		512

static int ht_late_ms = 8000;
module_param_named(late_ms, ht_late_ms, int, 0444);
MODULE_PARM_DESC(late_ms, "late_answer: delay of the answer");

static int ht_hits;
module_param_named(hits, ht_hits, int, 0444);
MODULE_PARM_DESC(hits, "requests that got the misbehaviour (read-only)");

static int ht_early;
module_param_named(early, ht_early, int, 0444);
MODULE_PARM_DESC(early, "requests that came before the connection was established here (read-only)");

static int ht_rma_landed;
module_param_named(rma_landed, ht_rma_landed, int, 0444);
MODULE_PARM_DESC(rma_landed, "RMA writes the client's fabric took (read-only)");

static int ht_rma_refused;
module_param_named(rma_refused, ht_rma_refused, int, 0444);
MODULE_PARM_DESC(rma_refused, "RMA writes it refused (read-only)");

/*
 * A refused write ends the connection; the disconnect can reach this
 * side before the refusal does, and then the write completes cancelled.
 */
static int ht_rma_cut;
module_param_named(rma_cut, ht_rma_cut, int, 0444);
MODULE_PARM_DESC(rma_cut, "RMA writes cancelled by the disconnect (read-only)");

/* What the RMA cases write, at most how much, and how far across an end. */
#define HT_RMA_BYTE	0xe7
#define HT_RMA_MAX	SZ_16K
#define HT_STRADDLE	8

enum ht_mode {
	HT_UNKNOWN_TAG,		/* the tag's index, but another full tag */
	HT_NEVER_SENT,		/* the index of a slot not in flight */
	HT_DUP_ANSWER,		/* a right answer, twice */
	HT_WRONG_LEN,		/* a header claiming inline bytes not sent */
	HT_WRONG_OP,		/* another opcode */
	HT_LATE_ANSWER,		/* a right answer after the client gave up */
	HT_SILENT,		/* no answer */
	HT_RMA_PAST_END,	/* a write across the end of the segment */
	HT_RMA_BEFORE,		/* a write across its start */
	HT_STALE_KEY,		/* a right answer, then its segment again */
};

static const char * const ht_modes[] = {
	[HT_UNKNOWN_TAG] = "unknown_tag",
	[HT_NEVER_SENT] = "never_sent",
	[HT_DUP_ANSWER] = "dup_answer",
	[HT_WRONG_LEN] = "wrong_len",
	[HT_WRONG_OP] = "wrong_op",
	[HT_LATE_ANSWER] = "late_answer",
	[HT_SILENT] = "silent",
	[HT_RMA_PAST_END] = "rma_past_end",
	[HT_RMA_BEFORE] = "rma_before",
	[HT_STALE_KEY] = "stale_key",
};

struct ht_conn;

/* One receive, and the answers to what came in it. */
struct ht_slot {
	struct ht_conn *conn;
	u8 msg[HT_MSG];
	u32 len;
	struct kw_rsp rsp[2];
	struct kfi_context rx_ctx;
	struct kfi_context tx_ctx[2];
	struct delayed_work late;
	struct delayed_work early;
};

struct ht_conn {
	struct kfid_domain *domain;
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	u16 depth;
	struct ht_slot slots[HT_SLOTS];
};

static enum ht_mode ht_mode;
static struct kfid_fabric *ht_fabric;
static struct kfid_eq *ht_peq;
static struct kfid_pep *ht_pep;
/* Connections: added by the listener's handler, closed at unload. */
static DEFINE_MUTEX(ht_lock);
static struct ht_conn *ht_conns[HT_CONNS];
/* The RMA cases' source of data, one write in flight at a time. */
static u8 *ht_rma_buf;
static struct kfi_context ht_rma_ctx;
/* stale_key: the segment of the GET answered right. */
static struct kw_seg ht_old_seg;
static bool ht_have_old;

static struct kw_rsp *ht_rsp(struct ht_slot *s, int i, u8 op, u16 status,
			     u32 tag)
{
	struct kw_rsp *r = &s->rsp[i];

	memset(r, 0, sizeof(*r));
	r->magic = cpu_to_le32(KW_MAGIC_RSP);
	r->version = KW_VERSION;
	r->opcode = op;
	r->status = cpu_to_le16(status);
	r->tag = cpu_to_le32(tag);
	return r;
}

/* Send answer @i of @s: a request of @op with @tag, not found. */
static void ht_answer(struct ht_slot *s, int i, u8 op, u32 tag, u32 inl)
{
	struct kw_rsp *r = ht_rsp(s, i, op, KW_NOENT, tag);

	r->inline_len = cpu_to_le32(inl);
	kfi_send(s->conn->ep, r, sizeof(*r), NULL, &s->tx_ctx[i]);
}

static void ht_rma_write(struct ht_slot *s, u64 addr, u64 key, u64 len)
{
	kfi_write(s->conn->ep, ht_rma_buf, min_t(u64, len, HT_RMA_MAX), NULL,
		  addr, key, &ht_rma_ctx);
}

/* A GET answered right: its segment filled, then OK. */
static void ht_get_ok(struct ht_slot *s, u32 tag, const struct kw_seg *g)
{
	u64 len = le64_to_cpu(g->len);
	struct kw_rsp *r = ht_rsp(s, 0, KW_GET, KW_OK, tag);

	ht_rma_write(s, le64_to_cpu(g->addr), le64_to_cpu(g->key), len);
	r->size = cpu_to_le64(len);
	r->xfer = cpu_to_le64(len);
	r->obj_version = cpu_to_le64(1);
	kfi_send(s->conn->ep, r, sizeof(*r), NULL, &s->tx_ctx[0]);
}

/*
 * The RMA cases, for a GET of @len bytes in @s with one segment (what the
 * client offers for kfkv_test's GETs): write where it was not offered,
 * answer nothing.  Any other request is answered NOENT.
 */
static void ht_rma_case(struct ht_slot *s, const struct kw_req *q, u32 len)
{
	u64 addr, key, seg_len;
	struct kw_seg g;

	memcpy(&g, s->msg + sizeof(*q), sizeof(g));
	addr = le64_to_cpu(g.addr);
	key = le64_to_cpu(g.key);
	seg_len = le64_to_cpu(g.len);
	if (len < sizeof(*q) + sizeof(g) || q->opcode != KW_GET ||
	    q->nr_segs != 1 || seg_len > HT_RMA_MAX || seg_len < HT_STRADDLE) {
		ht_answer(s, 0, q->opcode, le32_to_cpu(q->tag), 0);
		return;
	}
	if (ht_mode == HT_RMA_PAST_END)
		ht_rma_write(s, addr + seg_len - HT_STRADDLE, key,
			     2 * HT_STRADDLE);
	else if (ht_mode == HT_RMA_BEFORE)
		ht_rma_write(s, addr - HT_STRADDLE, key, 2 * HT_STRADDLE);
	else if (ht_have_old)
		ht_rma_write(s, le64_to_cpu(ht_old_seg.addr),
			     le64_to_cpu(ht_old_seg.key),
			     le64_to_cpu(ht_old_seg.len));
	else
		ht_get_ok(s, le32_to_cpu(q->tag), &g);
	if (ht_mode == HT_STALE_KEY && !ht_have_old) {
		ht_old_seg = g;
		ht_have_old = true;
	}
}

static void ht_late_fn(struct work_struct *w)
{
	struct ht_slot *s = container_of(to_delayed_work(w), struct ht_slot,
					 late);
	struct kw_req q;

	memcpy(&q, s->msg, sizeof(q));
	ht_answer(s, 0, q.opcode, le32_to_cpu(q.tag), 0);
}

/* A request arrived in @s: answer it as the mode says. */
static void ht_request(struct ht_slot *s, u32 len)
{
	u16 depth = s->conn->depth;
	struct kw_req q;
	u32 tag;

	if (len < sizeof(q))
		return;
	memcpy(&q, s->msg, sizeof(q));
	tag = le32_to_cpu(q.tag);
	ht_hits++;
	if (ht_mode >= HT_RMA_PAST_END) {
		ht_rma_case(s, &q, len);
		return;
	}
	switch (ht_mode) {
	case HT_UNKNOWN_TAG:
		ht_answer(s, 0, q.opcode, tag ^ 0x10000, 0);
		break;
	case HT_NEVER_SENT:
		ht_answer(s, 0, q.opcode,
			  (tag & ~0xffffU) | (((tag & 0xffff) + 1) % depth), 0);
		break;
	case HT_DUP_ANSWER:
		ht_answer(s, 0, q.opcode, tag, 0);
		ht_answer(s, 1, q.opcode, tag, 0);
		break;
	case HT_WRONG_LEN:
		ht_answer(s, 0, q.opcode, tag, 8);
		break;
	case HT_WRONG_OP:
		ht_answer(s, 0, q.opcode == KW_STAT ? KW_DELETE : KW_STAT, tag,
			  0);
		break;
	case HT_LATE_ANSWER:
		schedule_delayed_work(&s->late, msecs_to_jiffies(ht_late_ms));
		break;
	case HT_SILENT:
	default:
		break;
	}
}

/*
 * Answer the request in @s, then give the receive back at once: its
 * answers have their own buffers, and a late one its own copy of the
 * request in msg only until the next request reuses the slot, twice the
 * depth later.
 */
static void ht_serve(struct ht_slot *s)
{
	ht_request(s, s->len);
	kfi_recv(s->conn->ep, s->msg, sizeof(s->msg), NULL, &s->rx_ctx);
}

/*
 * A request that came before this side saw the connection established
 * (the client's RTU): nothing may be sent yet, so it is answered once the
 * endpoint is connected, as a real target holds its answers.
 */
static void ht_early_fn(struct work_struct *w)
{
	struct ht_slot *s = container_of(to_delayed_work(w), struct ht_slot,
					 early);

	if (READ_ONCE(s->conn->ep->state) == KFI_EP_CONNECTING) {
		schedule_delayed_work(&s->early, msecs_to_jiffies(10));
		return;
	}
	ht_serve(s);
}

static void ht_cq_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			  void *arg)
{
	struct ht_conn *c = arg;
	struct ht_slot *s;

	if (e->op_context == &ht_rma_ctx) {
		if (!e->err)
			ht_rma_landed++;
		else if (e->err == -ECANCELED)
			ht_rma_cut++;
		else
			ht_rma_refused++;
		return;
	}
	if (e->err || !(e->flags & KFI_RECV))
		return;
	s = container_of(e->op_context, struct ht_slot, rx_ctx);
	s->len = e->len;
	if (READ_ONCE(c->ep->state) == KFI_EP_CONNECTING) {
		ht_early++;
		schedule_delayed_work(&s->early, 0);
	} else {
		ht_serve(s);
	}
}

static void ht_conn_close(struct ht_conn *c)
{
	int i;

	for (i = 0; i < HT_SLOTS; i++) {
		cancel_delayed_work_sync(&c->slots[i].late);
		cancel_delayed_work_sync(&c->slots[i].early);
	}
	if (c->ep)
		kfi_close(&c->ep->fid);
	if (c->eq)
		kfi_close(&c->eq->fid);
	if (c->cq)
		kfi_close(&c->cq->fid);
	if (c->domain)
		kfi_close(&c->domain->fid);
	kfree(c);
}

static int ht_conn_open(struct ht_conn *c, struct kfi_info *info)
{
	struct kfi_cq_attr ca = { .size = 4 * HT_SLOTS, .comp_vector = -1,
				  .poll_ctx = KFI_POLL_SOFTIRQ,
				  .handler = ht_cq_handler, .handler_arg = c };
	struct kfi_eq_attr ea = { .size = 8 };
	int ret, i;

	for (i = 0; i < HT_SLOTS; i++) {
		c->slots[i].conn = c;
		INIT_DELAYED_WORK(&c->slots[i].late, ht_late_fn);
		INIT_DELAYED_WORK(&c->slots[i].early, ht_early_fn);
	}
	info->tx_attr.size = 3 * HT_SLOTS;
	info->rx_attr.size = HT_SLOTS;
	ret = kfi_domain(ht_fabric, info, &c->domain, c) ?:
	      kfi_cq_open(c->domain, &ca, &c->cq, c) ?:
	      kfi_eq_open(ht_fabric, &ea, &c->eq, c) ?:
	      kfi_endpoint(c->domain, info, &c->ep, c) ?:
	      kfi_ep_bind(c->ep, &c->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	      kfi_ep_bind(c->ep, &c->eq->fid, 0) ?: kfi_enable(c->ep);
	for (i = 0; !ret && i < HT_SLOTS; i++)
		ret = kfi_recv(c->ep, c->slots[i].msg, HT_MSG, NULL,
			       &c->slots[i].rx_ctx);
	return ret;
}

static void ht_rep_init(struct kw_cm_rep *r, u16 depth)
{
	memset(r, 0, sizeof(*r));
	r->magic = cpu_to_le32(KW_MAGIC_CM_REP);
	r->version = cpu_to_le16(KW_VERSION);
	r->depth = cpu_to_le16(depth);
	r->max_segs = cpu_to_le16(32);
	r->inline_max = cpu_to_le32(KW_MSG - sizeof(struct kw_req) -
				    KW_KEY_MAX);
	r->max_value = cpu_to_le64(SZ_1M);
}

static void ht_connreq(const struct kfi_eq_cm_entry *e)
{
	const struct kw_cm_req *q = (const void *)e->data;
	struct ht_conn *c = NULL;
	struct kw_cm_rep rep;
	int i, ret = -EPROTO;

	mutex_lock(&ht_lock);
	for (i = 0; i < HT_CONNS && ht_conns[i]; i++)
		;
	if (i < HT_CONNS && e->datalen >= sizeof(*q))
		c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c) {
		c->depth = clamp_t(u16, le16_to_cpu(q->depth), 1, HT_DEPTH);
		ht_rep_init(&rep, c->depth);
		ret = ht_conn_open(c, e->info) ?:
		      kfi_accept(c->ep, &rep, sizeof(rep));
		if (ret)
			ht_conn_close(c);
		else
			ht_conns[i] = c;
	}
	mutex_unlock(&ht_lock);
	if (ret)
		pr_info("# connection not taken: %d\n", ret);
	kfi_freeinfo(e->info);
}

static void ht_listen_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	if (e->event == KFI_CONNREQ)
		ht_connreq(e);
}

/**
 * h_target_start() - listen on h_ipaddr:h_port and misbehave as @name says
 * @name: one of ht_modes
 *
 * Return: 0 or a negative errno.
 */
int h_target_start(const char *name)
{
	struct kfi_eq_attr ea = { .size = 16, .handler = ht_listen_event };
	struct kfi_info *info;
	int ret;

	ret = match_string(ht_modes, ARRAY_SIZE(ht_modes), name);
	if (ret < 0)
		return ret;
	ht_mode = ret;
	ht_rma_buf = kmalloc(HT_RMA_MAX, GFP_KERNEL);
	if (!ht_rma_buf)
		return -ENOMEM;
	memset(ht_rma_buf, HT_RMA_BYTE, HT_RMA_MAX);
	info = h_getinfo(h_port, KFI_SOURCE);
	if (!info) {
		h_target_stop();
		return -ENODEV;
	}
	ret = kfi_fabric(&info->fabric_attr, &ht_fabric, NULL) ?:
	      kfi_eq_open(ht_fabric, &ea, &ht_peq, NULL) ?:
	      kfi_passive_ep(ht_fabric, info, &ht_pep, NULL) ?:
	      kfi_pep_bind(ht_pep, ht_peq) ?: kfi_listen(ht_pep);
	kfi_freeinfo(info);
	if (ret)
		h_target_stop();
	return ret;
}

/**
 * h_target_stop() - stop listening and close every connection
 */
void h_target_stop(void)
{
	int i;

	if (ht_pep)
		kfi_close(&ht_pep->fid);
	if (ht_peq)
		kfi_close(&ht_peq->fid);
	for (i = 0; i < HT_CONNS; i++) {
		if (ht_conns[i])
			ht_conn_close(ht_conns[i]);
		ht_conns[i] = NULL;
	}
	if (ht_fabric)
		kfi_close(&ht_fabric->fid);
	ht_pep = NULL;
	ht_peq = NULL;
	ht_fabric = NULL;
	kfree(ht_rma_buf);
	ht_rma_buf = NULL;
}
