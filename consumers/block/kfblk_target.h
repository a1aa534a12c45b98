/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfblk target: exports local block devices over kfabric.
 *
 * An export (configfs item) owns the opened block device and a passive
 * endpoint listening on addr:port.  Every accepted connection (one per
 * client queue) gets its own domain, CQ, EQ and endpoint, and a ring of
 * slots: a slot is a posted receive for one command and, once a command
 * has arrived in it, everything needed to carry it out (pages, bio, RMA
 * contexts, response buffer).  The slot's receive is posted again only
 * when the command is finished, so the receives posted are exactly the
 * free slots and the kfabric credits keep the client from overrunning them.
 */
#ifndef _KFBLK_TARGET_H
#define _KFBLK_TARGET_H

#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/configfs.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <kfabric/kfi.h>
#include "kfi_compat.h"
#include "kfblk_proto.h"

#define KFBLK_PATH_MAX		256
#define KFBLK_ADDR_MAX		64

/* What a slot is waiting for before it can go on. */
enum kfblk_stage {
	KFBLK_STAGE_EXEC,	/* command received: run it (process context) */
	KFBLK_STAGE_RMA_READ,	/* WRITE: pull the data from the client */
	KFBLK_STAGE_SUBMIT,	/* WRITE: data is here, submit the bio */
	KFBLK_STAGE_BIO_DONE,	/* bio ended in hard irq: answer from io_work */
	KFBLK_STAGE_RESPOND,	/* post RMA writes (READ) and the response */
};

struct kfblk_tconn;
struct kfblk_slot;

/* One RMA chunk's context and the way back to its slot. */
struct kfblk_rma_ctx {
	struct kfi_context ctx;
	struct kfblk_slot *slot;
};

/**
 * struct kfblk_slot - one command of a connection
 * @conn: owner
 * @rx_ctx: completion of the receive the command arrives in
 * @tx_ctx: completion of the response send
 * @rma: one per RMA chunk; kfabric needs a context per operation
 * @cmd: receive buffer
 * @rsp: response buffer
 * @ci: the validated command
 * @status: enum kfblk_status to answer with
 * @stage: enum kfblk_stage
 * @chunk: next RMA chunk to post (a retry after -EAGAIN resumes there)
 * @nr_chunks: RMA chunks of the command
 * @pending: completions still due: one per RMA read, then those of the
 *	answer (kfblk_answer_completions())
 * @node: on kfblk_tconn.work (llist) or .backlog
 * @bio: the bio, embedded so the fast path does not allocate it
 * @bvec: @conn->max_pages entries, the bio's and RMA's page list
 * @inl: the page inline WRITE data arrives in, after @cmd (NULL when
 *	the connection takes no inline data)
 * @pages: pages cached across commands, @nr_pages of them
 * @nr_pages: pages in @pages
 * @charged: pages charged to the connection's I/O memory budget
 * @peer_since: jiffies since which the command waits on the peer (RMA,
 *	or a credit for its answer), 0 when it does not; the watchdog drops
 *	the connection when that lasts longer than the export's
 *	peer_timeout_ms
 * @early: the last post was refused because the connection was not yet
 *	established on this side (kfblk_post_ret())
 * @kicked: the backlog was drained once for this command because of
 *	@early; never twice, so a stopped endpoint cannot loop
 * @stranded: the answer broke off with unreported RMA writes of it
 *	possibly still reading @pages: they stay until the endpoint is closed
 */
struct kfblk_slot {
	struct kfblk_tconn *conn;
	struct kfi_context rx_ctx;
	struct kfi_context tx_ctx;
	struct kfblk_rma_ctx *rma;
	struct kfblk_cmd cmd;
	struct kfblk_rsp rsp;
	struct kfblk_cmd_info ci;
	u16 status;
	u8 stage;
	bool early;
	bool kicked;
	bool stranded;
	u16 chunk;
	u16 nr_chunks;
	atomic_t pending;
	union {
		struct llist_node node;
		struct list_head backlog;
	};
	struct bio bio;
	struct bio_vec *bvec;
	struct page *inl;
	struct page **pages;
	u32 nr_pages;
	u32 charged;
	unsigned long peer_since;
};

#define KFBLK_TCONN_DEAD	0	/* bit of kfblk_tconn.flags */

/**
 * struct kfblk_tconn - one connection (one client queue)
 * @export: what it serves
 * @entry: on export->conns
 * @domain: its own domain (protection domain), so no other connection can
 *	reach memory registered for this one
 * @cq: send and receive completions
 * @eq: its connection events
 * @ep: the endpoint
 * @lim: what commands are checked against
 * @slots: @nr_slots slots
 * @nr_slots: receives posted when idle
 * @max_pages: pages in one command
 * @iov_limit: local entries per RMA operation
 * @inline_max: bytes of WRITE data a command may carry (one page at
 *	most; 0: none): every receive has room for that much after the
 *	command
 * @key_max: largest remote key the fabric can have issued (its key size)
 * @remote_inv: the client lets responses invalidate its keys
 * @imm_rsp: a successful READ is answered by its last RMA write carrying
 *	the tag as immediate data, instead of a response message
 * @ordered: the provider completes transmits in order (KFI_ORDER_STRICT):
 *	an answer's RMA writes go unreported, its end says they are done
 * @direct: completions run in a workqueue and the device takes REQ_NOWAIT:
 *	READ/WRITE bios are submitted from completion handlers
 * @busy: commands holding the connection (kfblk_tconn_hold()); teardown
 *	frees nothing before it is zero
 * @work: commands for @io_work, pushed from completion context
 * @io_work: runs commands in process context (bios may sleep on tags)
 * @backlog_lock: guards @backlog; taken from completion context
 * @backlog: slots whose post got -EAGAIN, retried on completions and credits
 * @established: KFI_CONNECTED has been seen; under @backlog_lock
 * @release_work: tears the connection down
 * @cm_wait: teardown waits here for the handshake to end
 * @flags: KFBLK_TCONN_DEAD once teardown has been claimed
 * @peer: address of the client, for messages
 * @peer_addr: address of the client, for the per-peer limit
 * @depth: queue depth granted
 * @io_max: pages its commands may hold at once (the I/O memory budget)
 * @io_pages: pages its commands hold now (charged)
 * @memwait: slots waiting for @io_pages to go down; under @backlog_lock
 * @pool_lock: guards @pool and @pool_nr; taken from completion context
 * @pool: pages of finished commands, kept for the next ones
 * @pool_nr: pages on @pool
 * @last_active: jiffies of the last command start or finish
 * @watchdog: drops a connection whose peer stalls a command, and frees
 *	@pool once the connection has been idle for the export's idle_ms
 */
struct kfblk_tconn {
	struct kfblk_export *export;
	struct list_head entry;
	struct kfid_domain *domain;
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	struct kfblk_limits lim;
	struct kfblk_slot *slots;
	u32 nr_slots;
	u32 max_pages;
	u32 iov_limit;
	u32 inline_max;
	u64 key_max;
	bool remote_inv;
	bool imm_rsp;
	bool ordered;
	bool direct;
	atomic_t busy;
	struct llist_head work;
	struct work_struct io_work;
	/* taken in completion context: irqsave; see @backlog_lock above */
	spinlock_t backlog_lock;
	struct list_head backlog;
	bool established;
	struct work_struct release_work;
	wait_queue_head_t cm_wait;
	unsigned long flags;
	char peer[48];
	struct sockaddr_storage peer_addr;
	u32 depth;
	u32 io_max;
	atomic_t io_pages;
	struct list_head memwait;
	/* taken in completion context: irqsave; see @pool_lock above */
	spinlock_t pool_lock;
	struct list_head pool;
	u32 pool_nr;
	unsigned long last_active;
	struct delayed_work watchdog;
};

/**
 * struct kfblk_export_limits - what one export grants its peers
 * @max_conns: connections at once
 * @max_conns_per_peer: connections at once from one peer address
 * @max_depth: queue depth granted to a connection (less if asked less)
 * @max_total_depth: queue depth granted to all connections together
 * @conn_io_kb: I/O memory one connection's commands may hold at once;
 *	a command that would go over waits for others to finish
 * @io_kb: I/O memory all connections may hold (each reserves
 *	@conn_io_kb when it is accepted)
 * @idle_ms: a connection without commands for this long frees the
 *	buffers it kept
 * @peer_timeout_ms: a command waiting this long on the peer (an RMA, or
 *	a credit to answer with) drops the connection
 */
struct kfblk_export_limits {
	u32 max_conns;
	u32 max_conns_per_peer;
	u32 max_depth;
	u32 max_total_depth;
	u32 conn_io_kb;
	u32 io_kb;
	u32 idle_ms;
	u32 peer_timeout_ms;
};

/**
 * struct kfblk_export - one exported block device
 * @group: configfs directory /sys/kernel/config/kfblk_target/<name>
 * @lock: guards every field below against configfs writes, enable and
 *	disable, and @conns against connection setup and release
 * @name: export name clients ask for
 * @path: block device path
 * @addr: address to listen on
 * @port: port to listen on
 * @read_only: export read-only
 * @enabled: listening
 * @bdev: the opened device while enabled
 * @bdev_handle: what closing @bdev takes
 * @geo: what accepts tell clients
 * @fabric: fabric of the listener
 * @eq: connection requests
 * @pep: the listener
 * @conns: live connections
 * @nr_conns: entries on @conns
 * @conns_wait: disable waits here for @conns to empty
 * @lim: limits (configfs), fixed while enabled
 * @total_depth: queue depth granted to @conns
 * @io_reserved_kb: I/O memory reserved by @conns
 * @pages: pages held by the connections' commands and pools
 */
struct kfblk_export {
	struct config_group group;
	/* configuration, enable/disable and @conns; see @lock above */
	struct mutex lock;
	char name[KFBLK_EXPORT_NAME_LEN];
	char path[KFBLK_PATH_MAX];
	char addr[KFBLK_ADDR_MAX];
	u16 port;
	bool read_only;
	bool enabled;
	struct block_device *bdev;
	struct kfi_bdev_handle bdev_handle;
	struct kfblk_cm_rep_info geo;
	struct kfid_fabric *fabric;
	struct kfid_eq *eq;
	struct kfid_pep *pep;
	struct list_head conns;
	u32 nr_conns;
	wait_queue_head_t conns_wait;
	struct kfblk_export_limits lim;
	u32 total_depth;
	u32 io_reserved_kb;
	atomic_long_t pages;
};

extern struct workqueue_struct *kfblk_tgt_wq;
extern struct workqueue_struct *kfblk_tgt_release_wq;
extern unsigned int kfblk_tgt_max_io_kb;
extern bool kfblk_tgt_direct;
extern bool kfblk_tgt_imm_rsp;
extern bool kfblk_tgt_inline;

/* kfblk_target_io.c */
void kfblk_slot_init(struct kfblk_slot *slot, struct kfblk_tconn *conn,
		     u16 nr_rma);
void kfblk_tconn_io_work(struct work_struct *work);
void kfblk_slot_queue(struct kfblk_slot *slot, enum kfblk_stage stage);
void kfblk_tconn_credit_ready(struct kfid_ep *ep);
void kfblk_tconn_drain_backlog(struct kfblk_tconn *conn);
bool kfblk_tconn_hold(struct kfblk_tconn *conn);
void kfblk_tconn_unhold(struct kfblk_tconn *conn);
int kfblk_slot_post_recv(struct kfblk_slot *slot);

/* kfblk_target_mem.c */
int kfblk_slot_get_pages(struct kfblk_slot *slot, gfp_t gfp);
void kfblk_slot_put_pages(struct kfblk_slot *slot);
bool kfblk_slot_memwait(struct kfblk_slot *slot);
void kfblk_tconn_wake_memwait(struct kfblk_tconn *conn);
void kfblk_tconn_free_pages(struct kfblk_tconn *conn);
void kfblk_tconn_watchdog(struct work_struct *work);
void kfblk_tconn_watchdog_arm(struct kfblk_tconn *conn);
extern unsigned int kfblk_tgt_max_depth;

/* kfblk_target_conn.c */
void kfblk_tconn_error(struct kfblk_tconn *conn, const char *why);
void kfblk_export_connreq(struct kfblk_export *exp,
			  const struct kfi_eq_cm_entry *e);
int kfblk_export_enable(struct kfblk_export *exp);
void kfblk_export_disable(struct kfblk_export *exp);

#endif /* _KFBLK_TARGET_H */
