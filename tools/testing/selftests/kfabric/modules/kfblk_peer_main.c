// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk_peer: a kfblk target for tests that keeps the keys it is given.
 *
 * It serves one connection at a time from a 256 KiB RAM disk and answers
 * READ and WRITE only.  It does not offer KFBLK_CAP_REMOTE_INV, so the
 * client must invalidate each request's MR itself before completing it;
 * the peer remembers the address and key of the last command it answered.
 * Writing 1 to the "probe" parameter reads 8 bytes through that old key:
 * the client has completed that request, so the read must fail with a
 * remote access error, which "probe_result" then shows (-EACCES).  Such an
 * error breaks the connection, so a test probes once per connection.
 *
 * Loaded by kfblk_stale_key.sh, not by the suite's module runner.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <kfabric/kfi.h>
#include "kfblk_proto.h"

#define PEER_DEPTH	4
#define PEER_SLOTS	(2 * PEER_DEPTH)
#define PEER_SECTORS	512
#define PEER_MAX_IO	(64 * 1024)

static char *peer_addr = "192.0.2.1";
module_param_named(addr, peer_addr, charp, 0444);
MODULE_PARM_DESC(addr, "Address to listen on");

static unsigned int peer_port = 4795;
module_param_named(port, peer_port, uint, 0444);
MODULE_PARM_DESC(port, "Port to listen on");

struct peer_conn;

/* One posted receive and, while a command is in it, that command. */
struct peer_slot {
	struct kfblk_cmd cmd;
	struct kfblk_rsp rsp;
	struct kfblk_cmd_info ci;
	u16 status;
	struct kfi_context rx_ctx;
	struct kfi_context rma_ctx;
	struct kfi_context tx_ctx;
	struct peer_conn *conn;
	u32 len;
};

struct peer_conn {
	struct kfid_domain *domain;
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	struct kfblk_limits lim;
	struct peer_slot slots[PEER_SLOTS];
	/*
	 * Commands that came before this side saw KFI_CONNECTED, when
	 * nothing can be posted yet: run once it comes.  Completion
	 * context adds, the event handler takes; @up says which goes.
	 */
	spinlock_t early_lock;
	bool up;
	u32 nr_early;
	struct peer_slot *early[PEER_SLOTS];
};

static struct {
	struct kfid_fabric *fabric;
	struct kfid_eq *eq;
	struct kfid_pep *pep;
	/* guards conn: a new connection, a probe and unload exclude each other */
	struct mutex lock;
	struct peer_conn *conn;
	u8 *disk;
	/* guards last_addr and last_key, set from completion context */
	spinlock_t key_lock;
	u64 last_addr;
	u64 last_key;
	bool have_key;
	u8 *probe_buf;
	struct kfi_context probe_ctx;
	struct completion probe_done;
	int probe_err;
} peer;

static int peer_probe_result = 1;	/* 1: no probe has run */
module_param_named(probe_result, peer_probe_result, int, 0444);
MODULE_PARM_DESC(probe_result, "Errno of the last probe's completion, 0 if the old key still worked");

static atomic_t peer_answered = ATOMIC_INIT(0);

static int peer_answered_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&peer_answered));
}

static const struct kernel_param_ops peer_answered_ops = {
	.get = peer_answered_get,
};
module_param_cb(answered, &peer_answered_ops, NULL, 0444);
MODULE_PARM_DESC(answered, "READs and WRITEs whose data moved through the client's key");

static int peer_post_recv(struct peer_slot *slot)
{
	return kfi_recv(slot->conn->ep, &slot->cmd, sizeof(slot->cmd), NULL,
			&slot->rx_ctx);
}

static void peer_tx_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct peer_slot *slot = container_of(e->op_context, struct peer_slot,
					      tx_ctx);
	unsigned long flags;

	if (e->err)
		return;
	/* The client has its answer: from now on the key is stale. */
	if (slot->status == KFBLK_ST_OK) {
		spin_lock_irqsave(&peer.key_lock, flags);
		peer.last_addr = slot->ci.raddr;
		peer.last_key = slot->ci.rkey;
		peer.have_key = true;
		spin_unlock_irqrestore(&peer.key_lock, flags);
	}
	if (peer_post_recv(slot))
		pr_err("cannot repost a receive\n");
}

static void peer_respond(struct peer_slot *slot)
{
	struct kfblk_rsp_info ri = {
		.opcode = slot->ci.opcode,
		.status = slot->status,
		.tag = slot->ci.tag,
	};

	kfblk_rsp_build(&slot->rsp, &ri);
	if (kfi_send(slot->conn->ep, &slot->rsp, sizeof(slot->rsp), NULL,
		     &slot->tx_ctx))
		pr_err("cannot send a response\n");
}

static void peer_rma_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct peer_slot *slot = container_of(e->op_context, struct peer_slot,
					      rma_ctx);

	if (e->err == -ECANCELED)
		return;
	if (e->err)
		slot->status = KFBLK_ST_XFER;
	else
		atomic_inc(&peer_answered);
	peer_respond(slot);
}

static void peer_exec(struct peer_slot *slot)
{
	struct kfblk_cmd_info *ci = &slot->ci;
	u8 *data;
	int st, ret;

	st = kfblk_cmd_parse(&slot->cmd, slot->len, &slot->conn->lim, ci);
	if (st < 0) {
		pr_err("malformed command\n");
		return;
	}
	slot->status = st;
	if (st == KFBLK_ST_OK && ci->opcode != KFBLK_OP_READ &&
	    ci->opcode != KFBLK_OP_WRITE)
		slot->status = KFBLK_ST_NOTSUPP;
	if (slot->status != KFBLK_ST_OK) {
		peer_respond(slot);
		return;
	}
	/* kfblk_cmd_parse() checked the range against the capacity. */
	data = peer.disk + (ci->sector << SECTOR_SHIFT);
	if (ci->opcode == KFBLK_OP_READ)
		ret = kfi_write(slot->conn->ep, data, ci->len, NULL, ci->raddr,
				ci->rkey, &slot->rma_ctx);
	else
		ret = kfi_read(slot->conn->ep, data, ci->len, NULL, ci->raddr,
			       ci->rkey, &slot->rma_ctx);
	if (ret) {
		slot->status = KFBLK_ST_XFER;
		peer_respond(slot);
	}
}

static void peer_recv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct peer_slot *slot = container_of(e->op_context, struct peer_slot,
					      rx_ctx);
	struct peer_conn *conn = slot->conn;
	unsigned long flags;
	bool later;

	if (e->err)
		return;
	slot->len = e->len;
	spin_lock_irqsave(&conn->early_lock, flags);
	later = !conn->up;
	if (later)
		conn->early[conn->nr_early++] = slot;
	spin_unlock_irqrestore(&conn->early_lock, flags);
	if (!later)
		peer_exec(slot);
}

static void peer_conn_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct peer_conn *conn = arg;
	unsigned long flags;
	u32 i, n;

	if (e->event != KFI_CONNECTED) {
		pr_info("connection event %d (%d)\n", e->event, e->err);
		return;
	}
	spin_lock_irqsave(&conn->early_lock, flags);
	conn->up = true;
	n = conn->nr_early;
	spin_unlock_irqrestore(&conn->early_lock, flags);
	/* No receive completes into early[] once up is set. */
	for (i = 0; i < n; i++)
		peer_exec(conn->early[i]);
}

/* Close what peer_conn_open() opened, in reverse order. */
static void peer_conn_close(struct peer_conn *conn)
{
	if (conn->ep) {
		kfi_shutdown(conn->ep, 0);
		kfi_close(&conn->ep->fid);
	}
	if (conn->eq)
		kfi_close(&conn->eq->fid);
	if (conn->cq)
		kfi_close(&conn->cq->fid);
	if (conn->domain)
		kfi_close(&conn->domain->fid);
	kfree(conn);
}

static int peer_conn_open(struct peer_conn *conn, struct kfi_info *info)
{
	struct kfi_cq_attr cq_attr = {
		.size = 3 * PEER_SLOTS + 1,
		.poll_ctx = KFI_POLL_SOFTIRQ,
		.comp_vector = -1,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 8,
		.handler = peer_conn_event,
		.handler_arg = conn,
	};
	int i, ret;

	ret = kfi_domain(peer.fabric, info, &conn->domain, conn);
	if (!ret)
		ret = kfi_cq_open(conn->domain, &cq_attr, &conn->cq, conn);
	if (!ret)
		ret = kfi_eq_open(peer.fabric, &eq_attr, &conn->eq, conn);
	if (ret)
		return ret;
	info->tx_attr.size = 2 * PEER_SLOTS;
	info->rx_attr.size = PEER_SLOTS;
	ret = kfi_endpoint(conn->domain, info, &conn->ep, conn);
	if (ret)
		return ret;
	ret = kfi_ep_bind(conn->ep, &conn->cq->fid, KFI_TRANSMIT | KFI_RECEIVE);
	if (!ret)
		ret = kfi_ep_bind(conn->ep, &conn->eq->fid, 0);
	if (!ret)
		ret = kfi_enable(conn->ep);
	for (i = 0; !ret && i < PEER_SLOTS; i++) {
		struct peer_slot *slot = &conn->slots[i];

		slot->conn = conn;
		slot->rx_ctx.done = peer_recv_done;
		slot->rma_ctx.done = peer_rma_done;
		slot->tx_ctx.done = peer_tx_done;
		ret = peer_post_recv(slot);
	}
	return ret;
}

/* Accept a client, dropping the one before: probes break connections. */
static int peer_accept(struct kfi_info *info, const struct kfblk_cm_req_info *qi)
{
	struct kfblk_cm_rep_info ri = {
		.queue_depth = min_t(u16, qi->queue_depth, PEER_DEPTH),
		.logical_block_size = SECTOR_SIZE,
		.physical_block_size = SECTOR_SIZE,
		.max_io = PEER_MAX_IO,
		.capacity = PEER_SECTORS,
	};
	struct kfblk_cm_rep rep;
	struct peer_conn *conn;
	int ret;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return -ENOMEM;
	spin_lock_init(&conn->early_lock);
	conn->lim = (struct kfblk_limits){
		.capacity = ri.capacity,
		.lbs = ri.logical_block_size,
		.max_io = ri.max_io,
		.queue_depth = ri.queue_depth,
	};
	mutex_lock(&peer.lock);
	if (peer.conn)
		peer_conn_close(peer.conn);
	peer.conn = NULL;
	peer.have_key = false;
	ret = peer_conn_open(conn, info);
	kfblk_cm_rep_build(&rep, &ri);
	if (!ret)
		ret = kfi_accept(conn->ep, &rep, sizeof(rep));
	if (ret)
		peer_conn_close(conn);
	else
		peer.conn = conn;
	mutex_unlock(&peer.lock);
	return ret;
}

static void peer_listen_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfi_info *info = e->info;
	struct kfblk_cm_req_info qi;
	int ret;

	if (e->event != KFI_CONNREQ) {
		pr_info("listener event %d (%d)\n", e->event, e->err);
		return;
	}
	ret = kfblk_cm_req_parse(e->data, e->datalen, &qi);
	if (!ret && qi.nr_queues != 1)
		ret = -EINVAL;
	if (!ret)
		ret = peer_accept(info, &qi);
	if (ret)
		pr_err("refusing a client: %d\n", ret);
	/* Rejects the request if it was not accepted. */
	kfi_freeinfo(info);
}

/* probe=1: read through the key of the last answered command. */
static int peer_probe_set(const char *val, const struct kernel_param *kp)
{
	unsigned long flags;
	u64 addr, key;
	bool have;
	int ret;

	mutex_lock(&peer.lock);
	spin_lock_irqsave(&peer.key_lock, flags);
	addr = peer.last_addr;
	key = peer.last_key;
	have = peer.have_key;
	spin_unlock_irqrestore(&peer.key_lock, flags);
	ret = -ENOTCONN;
	if (peer.conn && have) {
		reinit_completion(&peer.probe_done);
		ret = kfi_read(peer.conn->ep, peer.probe_buf, 8, NULL, addr,
			       key, &peer.probe_ctx);
	}
	if (!ret &&
	    !wait_for_completion_timeout(&peer.probe_done, 10 * HZ))
		ret = -ETIMEDOUT;
	if (!ret)
		peer_probe_result = peer.probe_err;
	mutex_unlock(&peer.lock);
	pr_info("probe of key %#llx: %d, completion %d\n", key, ret,
		peer_probe_result);
	return ret;
}

static const struct kernel_param_ops peer_probe_ops = {
	.set = peer_probe_set,
};
module_param_cb(probe, &peer_probe_ops, NULL, 0200);
MODULE_PARM_DESC(probe, "Write 1: read through the last answered command's key");

static void peer_probe_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	peer.probe_err = e->err;
	complete(&peer.probe_done);
}

static int peer_listen(void)
{
	struct kfi_info hints = {
		.caps = KFI_MSG | KFI_RMA,
		.ep_attr.type = KFI_EP_MSG,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 16,
		.handler = peer_listen_event,
	};
	struct kfi_info *info;
	char port[8];
	int ret;

	snprintf(port, sizeof(port), "%u", peer_port);
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  peer_addr, port, KFI_SOURCE, &hints, &info);
	if (ret)
		return ret;
	ret = kfi_fabric(&info->fabric_attr, &peer.fabric, NULL);
	if (!ret)
		ret = kfi_eq_open(peer.fabric, &eq_attr, &peer.eq, NULL);
	if (!ret)
		ret = kfi_passive_ep(peer.fabric, info, &peer.pep, NULL);
	if (!ret)
		ret = kfi_pep_bind(peer.pep, peer.eq);
	if (!ret)
		ret = kfi_listen(peer.pep);
	kfi_freeinfo(info);
	return ret;
}

static void peer_close_all(void)
{
	if (peer.pep)
		kfi_close(&peer.pep->fid);
	mutex_lock(&peer.lock);
	if (peer.conn)
		peer_conn_close(peer.conn);
	peer.conn = NULL;
	mutex_unlock(&peer.lock);
	if (peer.eq)
		kfi_close(&peer.eq->fid);
	if (peer.fabric)
		kfi_close(&peer.fabric->fid);
	kfree(peer.probe_buf);
	kfree(peer.disk);
}

static int __init kfblk_peer_init(void)
{
	int ret;

	mutex_init(&peer.lock);
	spin_lock_init(&peer.key_lock);
	init_completion(&peer.probe_done);
	peer.probe_ctx.done = peer_probe_done;
	peer.disk = kzalloc(PEER_SECTORS << SECTOR_SHIFT, GFP_KERNEL);
	peer.probe_buf = kzalloc(8, GFP_KERNEL);
	ret = peer.disk && peer.probe_buf ? peer_listen() : -ENOMEM;
	if (ret) {
		pr_err("cannot listen on %s port %u: %d\n", peer_addr,
		       peer_port, ret);
		peer_close_all();
	}
	return ret;
}

static void __exit kfblk_peer_exit(void)
{
	peer_close_all();
}

module_init(kfblk_peer_init);
module_exit(kfblk_peer_exit);
MODULE_DESCRIPTION("kfblk target for tests that tries stale keys");
MODULE_LICENSE("GPL");
