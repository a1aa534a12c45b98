// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile kfkv target: accepts the kfkv client as a store without a
 * secret would, and answers every request wrongly in the way the case
 * says.  The script opens a handle on it with modules/kfkv_test.ko
 * (case hostile_target) and checks that each operation fails with an
 * error within the handle's timeout, once, and that nothing hangs.
 * What this side did is left in a read-only module parameter.
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

enum ht_mode {
	HT_UNKNOWN_TAG,		/* the tag's index, but another full tag */
	HT_NEVER_SENT,		/* the index of a slot not in flight */
	HT_DUP_ANSWER,		/* a right answer, twice */
	HT_WRONG_LEN,		/* a header claiming inline bytes not sent */
	HT_WRONG_OP,		/* another opcode */
	HT_LATE_ANSWER,		/* a right answer after the client gave up */
	HT_SILENT,		/* no answer */
};

static const char * const ht_modes[] = {
	[HT_UNKNOWN_TAG] = "unknown_tag",
	[HT_NEVER_SENT] = "never_sent",
	[HT_DUP_ANSWER] = "dup_answer",
	[HT_WRONG_LEN] = "wrong_len",
	[HT_WRONG_OP] = "wrong_op",
	[HT_LATE_ANSWER] = "late_answer",
	[HT_SILENT] = "silent",
};

struct ht_conn;

/* One receive, and the answers to what came in it. */
struct ht_slot {
	struct ht_conn *conn;
	u8 msg[HT_MSG];
	struct kw_rsp rsp[2];
	struct kfi_context rx_ctx;
	struct kfi_context tx_ctx[2];
	struct delayed_work late;
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

/* Send answer @i of @s: a request of @op with @tag, not found. */
static void ht_answer(struct ht_slot *s, int i, u8 op, u32 tag, u32 inl)
{
	struct kw_rsp *r = &s->rsp[i];

	memset(r, 0, sizeof(*r));
	r->magic = cpu_to_le32(KW_MAGIC_RSP);
	r->version = KW_VERSION;
	r->opcode = op;
	r->status = cpu_to_le16(KW_NOENT);
	r->tag = cpu_to_le32(tag);
	r->inline_len = cpu_to_le32(inl);
	kfi_send(s->conn->ep, r, sizeof(*r), NULL, &s->tx_ctx[i]);
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
		break;
	}
}

static void ht_cq_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			  void *arg)
{
	struct ht_conn *c = arg;
	struct ht_slot *s;

	if (e->err || !(e->flags & KFI_RECV))
		return;
	s = container_of(e->op_context, struct ht_slot, rx_ctx);
	ht_request(s, e->len);
	/*
	 * The receive goes back at once: its answers have their own
	 * buffers, and a late one its own copy of the request in msg only
	 * until the next request reuses the slot, twice the depth later.
	 */
	kfi_recv(c->ep, s->msg, sizeof(s->msg), NULL, &s->rx_ctx);
}

static void ht_conn_close(struct ht_conn *c)
{
	int i;

	for (i = 0; i < HT_SLOTS; i++)
		cancel_delayed_work_sync(&c->slots[i].late);
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
	info = h_getinfo(h_port, KFI_SOURCE);
	if (!info)
		return -ENODEV;
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
}
