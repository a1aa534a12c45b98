// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile kfblk target: answers the kfblk client correctly (READs return
 * zeros, WRITEs are acknowledged) except for commands that touch the
 * sectors [H_SECTOR, H_SECTOR + 8), which get the case's misbehaviour.
 * The script maps a device from this target, reads those sectors and
 * checks that the client fails the I/O (or the device) and nothing else.
 * What this side saw is left in read-only module parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/slab.h>
#include "kfblk_hostile.h"

#define HT_SECTOR	8192		/* 4 MiB into the device */
#define HT_CAPACITY	32768		/* 16 MiB */
#define HT_MAX_IO	(128U << 10)
#define HT_DEPTH	128
#define HT_SLOTS	(2 * HT_DEPTH)
#define HT_CONNS	8

static int ht_late_ms = 8000;
module_param_named(late_ms, ht_late_ms, int, 0444);
MODULE_PARM_DESC(late_ms, "late_answer: delay of the answer");

static int ht_hits;
module_param_named(hits, ht_hits, int, 0444);
MODULE_PARM_DESC(hits, "commands that got the misbehaviour (read-only)");

static int ht_rma_errors;
module_param_named(rma_errors, ht_rma_errors, int, 0444);
MODULE_PARM_DESC(rma_errors, "RMA writes the fabric refused (read-only)");

enum ht_mode {
	HT_UNKNOWN_TAG,		/* answer with a tag index past the depth */
	HT_DUP_ANSWER,		/* answer twice */
	HT_WRONG_LEN,		/* a 12-byte answer */
	HT_NEVER_SENT,		/* answer a tag that is not in flight */
	HT_WRONG_OP,		/* answer with another opcode */
	HT_LATE_ANSWER,		/* answer after the client gave up */
	HT_SILENT,		/* never answer */
	HT_RMA_OOB,		/* write past the end of the client's region */
};

static const char * const ht_modes[] = {
	[HT_UNKNOWN_TAG] = "unknown_tag",
	[HT_DUP_ANSWER] = "dup_answer",
	[HT_WRONG_LEN] = "wrong_len",
	[HT_NEVER_SENT] = "never_sent",
	[HT_WRONG_OP] = "wrong_op",
	[HT_LATE_ANSWER] = "late_answer",
	[HT_SILENT] = "silent",
	[HT_RMA_OOB] = "rma_oob",
};

struct ht_conn;

struct ht_slot {
	struct ht_conn *conn;
	struct hw_cmd cmd;
	struct hw_rsp rsp[2];
	struct kfi_context rx_ctx;
	struct kfi_context tx_ctx[2];
	struct kfi_context rma_ctx;
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
static void *ht_zero;
/* Connections: added by the listener's handler, closed at unload. */
static DEFINE_MUTEX(ht_lock);
static struct ht_conn *ht_conns[HT_CONNS];
static struct ht_slot *ht_late;
static struct delayed_work ht_late_work;

static void ht_answer(struct ht_slot *s, int i, u8 op, u16 st, u32 tag,
		      size_t len)
{
	struct hw_rsp *r = &s->rsp[i];

	r->magic = cpu_to_le32(HW_MAGIC_RSP);
	r->version = 1;
	r->opcode = op;
	r->status = cpu_to_le16(st);
	r->tag = cpu_to_le32(tag);
	r->reserved = 0;
	kfi_send(s->conn->ep, r, len, NULL, &s->tx_ctx[i]);
}

static void ht_late_fn(struct work_struct *w)
{
	struct ht_slot *s = ht_late;

	ht_answer(s, 0, s->cmd.opcode, HW_OK, le32_to_cpu(s->cmd.tag),
		  sizeof(struct hw_rsp));
}

/* The misbehaviour, for a command in the hostile window. */
static void ht_misbehave(struct ht_slot *s, u8 op, u32 tag, u32 len)
{
	const size_t sz = sizeof(struct hw_rsp);
	u16 depth = s->conn->depth;

	ht_hits++;
	switch (ht_mode) {
	case HT_UNKNOWN_TAG:
		ht_answer(s, 0, op, HW_OK, tag | 0xffff, sz);
		break;
	case HT_DUP_ANSWER:
		ht_answer(s, 0, op, HW_OK, tag, sz);
		ht_answer(s, 1, op, HW_OK, tag, sz);
		break;
	case HT_WRONG_LEN:
		ht_answer(s, 0, op, HW_OK, tag, 12);
		break;
	case HT_NEVER_SENT:
		ht_answer(s, 0, op, HW_OK,
			  (tag & ~0xffffU) | (((tag & 0xffff) + 1) % depth), sz);
		break;
	case HT_WRONG_OP:
		ht_answer(s, 0, op == HW_READ ? HW_WRITE : HW_READ, HW_OK, tag,
			  sz);
		break;
	case HT_LATE_ANSWER:
		if (!ht_late) {
			ht_late = s;
			schedule_delayed_work(&ht_late_work,
					      msecs_to_jiffies(ht_late_ms));
		}
		break;
	case HT_SILENT:
		break;
	case HT_RMA_OOB:
		if (op == HW_READ)
			kfi_write(s->conn->ep, ht_zero, min(len + 4096, HT_MAX_IO + 4096),
				  NULL, le64_to_cpu(s->cmd.raddr),
				  le64_to_cpu(s->cmd.rkey), &s->rma_ctx);
		ht_answer(s, 0, op, HW_OK, tag, sz);
		break;
	}
}

/* A command arrived in @s: copy it out, give the receive back, act. */
static void ht_command(struct ht_slot *s, size_t len)
{
	struct hw_cmd c = s->cmd;
	u64 sector = le64_to_cpu(c.sector);
	u32 tag = le32_to_cpu(c.tag), n = le32_to_cpu(c.len);

	if (len != sizeof(c) || le32_to_cpu(c.magic) != HW_MAGIC_CMD)
		return;
	if (sector < HT_SECTOR + 8 && sector + (n >> 9) > HT_SECTOR) {
		ht_misbehave(s, c.opcode, tag, n);
		return;
	}
	if (c.opcode == HW_READ && n <= HT_MAX_IO)
		kfi_write(s->conn->ep, ht_zero, n, NULL, le64_to_cpu(c.raddr),
			  le64_to_cpu(c.rkey), &s->rma_ctx);
	ht_answer(s, 0, c.opcode, HW_OK, tag, sizeof(struct hw_rsp));
}

static void ht_cq_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			  void *arg)
{
	struct ht_conn *c = arg;
	struct ht_slot *s;

	if (e->err) {
		if (e->err != -ECANCELED && (e->flags & KFI_RMA))
			ht_rma_errors++;
		return;
	}
	if (!(e->flags & KFI_RECV))
		return;
	s = container_of(e->op_context, struct ht_slot, rx_ctx);
	ht_command(s, e->len);
	/* The slot's answer buffers stay ours: the client's depth is half. */
	kfi_recv(c->ep, &s->cmd, sizeof(s->cmd), NULL, &s->rx_ctx);
}

static void ht_conn_close(struct ht_conn *c)
{
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

	info->tx_attr.size = 3 * HT_SLOTS;
	info->rx_attr.size = HT_SLOTS;
	ret = kfi_domain(ht_fabric, info, &c->domain, c);
	if (!ret)
		ret = kfi_cq_open(c->domain, &ca, &c->cq, c);
	if (!ret)
		ret = kfi_eq_open(ht_fabric, &ea, &c->eq, c);
	if (!ret)
		ret = kfi_endpoint(c->domain, info, &c->ep, c);
	if (!ret)
		ret = kfi_ep_bind(c->ep, &c->cq->fid, KFI_TRANSMIT | KFI_RECEIVE);
	if (!ret)
		ret = kfi_ep_bind(c->ep, &c->eq->fid, 0);
	if (!ret)
		ret = kfi_enable(c->ep);
	for (i = 0; !ret && i < HT_SLOTS; i++) {
		c->slots[i].conn = c;
		ret = kfi_recv(c->ep, &c->slots[i].cmd, sizeof(c->slots[i].cmd),
			       NULL, &c->slots[i].rx_ctx);
	}
	return ret;
}

static void ht_rep_init(struct hw_rep *r, u16 depth)
{
	memset(r, 0, sizeof(*r));
	r->magic = cpu_to_le32(HW_MAGIC_REP);
	r->version = cpu_to_le16(1);
	r->queue_depth = cpu_to_le16(depth);
	r->lbs = cpu_to_le32(512);
	r->pbs = cpu_to_le32(512);
	r->max_io = cpu_to_le32(HT_MAX_IO);
	r->capacity = cpu_to_le64(HT_CAPACITY);
}

static void ht_connreq(const struct kfi_eq_cm_entry *e)
{
	const struct hw_req *q = (const void *)e->data;
	struct ht_conn *c = NULL;
	struct hw_rep rep;
	int i, ret = -EPROTO;

	mutex_lock(&ht_lock);
	for (i = 0; i < HT_CONNS && ht_conns[i]; i++)
		;
	if (i < HT_CONNS && e->datalen >= sizeof(*q))
		c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c) {
		c->depth = clamp_t(u16, le16_to_cpu(q->queue_depth), 1,
				   HT_DEPTH);
		ht_rep_init(&rep, c->depth);
		ret = ht_conn_open(c, e->info);
		if (!ret)
			ret = kfi_accept(c->ep, &rep, sizeof(rep));
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
	INIT_DELAYED_WORK(&ht_late_work, ht_late_fn);
	ht_zero = kzalloc(HT_MAX_IO + 4096, GFP_KERNEL);
	info = h_getinfo(h_port, KFI_SOURCE);
	if (!ht_zero || !info) {
		kfi_freeinfo(info);
		return -ENOMEM;
	}
	ret = kfi_fabric(&info->fabric_attr, &ht_fabric, NULL);
	if (!ret)
		ret = kfi_eq_open(ht_fabric, &ea, &ht_peq, NULL);
	if (!ret)
		ret = kfi_passive_ep(ht_fabric, info, &ht_pep, NULL);
	if (!ret)
		ret = kfi_pep_bind(ht_pep, ht_peq);
	if (!ret)
		ret = kfi_listen(ht_pep);
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
	cancel_delayed_work_sync(&ht_late_work);
	for (i = 0; i < HT_CONNS; i++)
		if (ht_conns[i])
			ht_conn_close(ht_conns[i]);
	if (ht_fabric)
		kfi_close(&ht_fabric->fid);
	kfree(ht_zero);
}
