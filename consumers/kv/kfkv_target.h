/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfkv target: serves named key-value stores over kfabric.
 *
 * A store (configfs item) owns its objects -- in memory, or as files of a
 * directory -- and a passive endpoint listening on addr:port.  Every
 * accepted connection gets its own domain, CQ, EQ and endpoint and a ring
 * of slots, each a posted receive for one request.  A connection's
 * requests run one after the other, in arrival order, from one work item
 * (process context: the dir backend does file I/O, and an RMA is waited
 * for); different connections and stores run side by side.  A slot's
 * receive is posted again once its answer's send completed, so the
 * receives posted are the free slots and kfabric's credits keep the
 * client from overrunning them.
 */
#ifndef _KFKV_TARGET_H
#define _KFKV_TARGET_H

#include <linux/configfs.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/rbtree.h>
#include <kfabric/kfi.h>
#include "kfi_compat.h"
#include "kfkv_proto.h"

#define KFKV_PATH_MAX		256
#define KFKV_ADDR_MAX		64
/* Each side posts this many receives per granted request, plus one. */
#define KFKV_SLOTS_PER_TAG	2
/* RMA operations one request keeps posted at once. */
#define KFKV_RMA_WINDOW		16

/**
 * struct kfkv_buf - a value in pages (reachable by RMA, never vmalloc'ed)
 * @len: bytes of the value
 * @nr_pages: entries of @pages
 * @pages: the pages, PAGE_SIZE each, the value packed from the first
 */
struct kfkv_buf {
	u64 len;
	u32 nr_pages;
	struct page *pages[];
};

/**
 * struct kfkv_obj - one object in a store's index
 * @node: in kfkv_store.objs, ordered by kfkv_key_cmp()
 * @ref: the index holds one; a GET moving the value holds another
 * @store: owner (its capacity was charged for this object)
 * @version: changes on every PUT
 * @size: bytes of the value
 * @val: mem backend: the value; dir backend: NULL (the file has it)
 * @charge: bytes charged to the store's capacity
 * @slot: dir backend, long keys: which of the hash's file names
 * @key_len: bytes of @key
 * @key: the key
 */
struct kfkv_obj {
	struct rb_node node;
	struct kref ref;
	struct kfkv_store *store;
	u64 version;
	u64 size;
	struct kfkv_buf *val;
	u64 charge;
	u8 slot;
	u16 key_len;
	u8 key[];
};

enum kfkv_backend {
	KFKV_BACKEND_MEM,
	KFKV_BACKEND_DIR,
};

/**
 * struct kfkv_store_limits - what one store grants its peers
 * @max_conns: connections at once
 * @max_conns_per_peer: connections at once from one peer address
 * @max_depth: requests one connection may keep in flight
 * @io_kb: staging memory of all connections (each reserves one largest
 *	value when it is accepted)
 * @peer_timeout_ms: a request waiting this long on the peer (an RMA, or
 *	a credit to answer with) drops the connection
 * @max_objects: objects the store holds at most
 */
struct kfkv_store_limits {
	u32 max_conns;
	u32 max_conns_per_peer;
	u32 max_depth;
	u32 io_kb;
	u32 peer_timeout_ms;
	u32 max_objects;
};

/**
 * struct kfkv_store - one named store
 * @group: configfs directory /sys/kernel/config/kfkv_target/<name>
 * @lock: guards the configuration, enable/disable and @conns
 * @name: the store's name, asked for by clients
 * @backend: mem or dir
 * @path: dir backend: the directory
 * @addr: address to listen on
 * @port: port to listen on
 * @capacity: mem backend: bytes of values, keys and bookkeeping at most
 * @max_value: largest value
 * @enabled: listening
 * @lim: limits, fixed while enabled
 * @secret: the shared secret clients prove they know; fixed while
 *	enabled, so connections read it unlocked
 * @secret_len: its bytes; 0: the store is open to anyone who can reach it
 * @fabric: fabric of the listener
 * @eq: connection requests
 * @pep: the listener
 * @conns: live connections
 * @nr_conns: entries on @conns
 * @io_reserved_kb: staging memory reserved by @conns
 * @conns_wait: disable waits here for @conns to empty
 * @data_lock: guards @objs, @nr_objs, @last_version and the directory;
 *	every operation on the objects runs under it
 * @objs: the index, by key
 * @nr_objs: objects in @objs
 * @last_version: the last version given out
 * @used: bytes charged to @capacity
 * @dir: dir backend: the directory, opened while enabled
 */
struct kfkv_store {
	struct config_group group;
	/* configuration, enable/disable and @conns; see @lock above */
	struct mutex lock;
	char name[KFKV_STORE_NAME_LEN];
	enum kfkv_backend backend;
	char path[KFKV_PATH_MAX];
	char addr[KFKV_ADDR_MAX];
	u16 port;
	u64 capacity;
	u64 max_value;
	bool enabled;
	struct kfkv_store_limits lim;
	u8 secret[KFKV_SECRET_MAX];
	u32 secret_len;
	struct kfid_fabric *fabric;
	struct kfid_eq *eq;
	struct kfid_pep *pep;
	struct list_head conns;
	u32 nr_conns;
	u64 io_reserved_kb;
	wait_queue_head_t conns_wait;

	/* the objects; see @data_lock above */
	struct mutex data_lock;
	struct rb_root objs;
	u64 nr_objs;
	u64 last_version;
	atomic64_t used;
	struct path dir;
};

struct kfkv_tconn;

/**
 * struct kfkv_slot - one receive buffer, and the request that came in it
 * @conn: owner
 * @rx_ctx: completion of the receive
 * @tx_ctx: completion of the answer's send
 * @node: on kfkv_tconn.work while waiting to run
 * @len: bytes received
 * @msg: the receive buffer
 * @rsp: the answer: header and inline bytes
 */
struct kfkv_slot {
	struct kfkv_tconn *conn;
	struct kfi_context rx_ctx;
	struct kfi_context tx_ctx;
	struct llist_node node;
	u32 len;
	u8 msg[KFKV_MSG_SIZE];
	u8 rsp[KFKV_MSG_SIZE];
};

/* Bits of kfkv_tconn.flags */
#define KFKV_TCONN_DEAD		0	/* teardown claimed */
#define KFKV_TCONN_REFUSED	1	/* refused for AUTH: drop once answered */

/**
 * struct kfkv_tconn - one client connection
 * @store: what it serves
 * @entry: on store->conns
 * @domain: its own domain, so nothing registered for it is reachable
 *	from another connection
 * @cq: send, receive and RMA completions
 * @eq: its connection events
 * @ep: the endpoint
 * @lim: what requests are checked against
 * @key_max: the largest remote key the fabric can have issued
 * @iov_limit: local entries per RMA
 * @slots: @nr_slots receive buffers
 * @nr_slots: receives posted when idle
 * @work: slots with a request, pushed from completion context
 * @req_work: runs the requests, in order
 * @ri: the request being run (only @req_work touches it)
 * @rma_ctx: the context of every RMA operation (they are only counted)
 * @bvec: pages of one RMA operation, @iov_limit entries
 * @rma_pending: RMA operations posted and not completed
 * @rma_err: the first error of those
 * @wait: @req_work waits here for RMA completions, credits and the
 *	connection to be established
 * @release_work: tears the connection down
 * @flags: KFKV_TCONN_*
 * @authed: requests may be served: the store has no secret, or the
 *	client proved it knows it (only @req_work touches it)
 * @nonce: the challenge sent in the accept, when the store has a secret
 * @peer: address of the client, for messages
 * @peer_addr: address of the client, for the per-peer limit
 */
struct kfkv_tconn {
	struct kfkv_store *store;
	struct list_head entry;
	struct kfid_domain *domain;
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	struct kfkv_limits lim;
	u64 key_max;
	u32 iov_limit;
	struct kfkv_slot *slots;
	u32 nr_slots;
	struct llist_head work;
	struct work_struct req_work;
	struct kfkv_req_info ri;
	struct kfi_context rma_ctx;
	struct bio_vec *bvec;
	atomic_t rma_pending;
	int rma_err;
	wait_queue_head_t wait;
	struct work_struct release_work;
	unsigned long flags;
	bool authed;
	u8 nonce[KFKV_NONCE_LEN];
	char peer[48];
	struct sockaddr_storage peer_addr;
};

extern struct workqueue_struct *kfkv_tgt_wq;
extern struct workqueue_struct *kfkv_tgt_release_wq;

/* kfkv_target_conn.c */
void kfkv_tconn_error(struct kfkv_tconn *conn, const char *why);
int kfkv_store_enable(struct kfkv_store *st);
void kfkv_store_disable(struct kfkv_store *st);

/* kfkv_target_req.c */
void kfkv_tconn_req_work(struct work_struct *work);
void kfkv_tconn_ctx_init(struct kfkv_tconn *conn);
void kfkv_slot_init(struct kfkv_slot *slot, struct kfkv_tconn *conn);
int kfkv_slot_post_recv(struct kfkv_slot *slot);
void kfkv_tconn_credit_ready(struct kfid_ep *ep);

/* kfkv_store.c: the index, values in pages, the mem backend */
struct kfkv_buf *kfkv_buf_alloc(u64 len);
void kfkv_buf_free(struct kfkv_buf *buf);
void kfkv_buf_copy_in(struct kfkv_buf *buf, const void *src, u64 len);
void kfkv_buf_copy_out(const struct kfkv_buf *buf, u64 off, void *dst,
		       u64 len);
u32 kfkv_buf_bvec(const struct kfkv_buf *buf, u64 off, u64 len,
		  struct bio_vec *bv, u32 max, u64 *bytes);
u64 kfkv_obj_charge(u64 size, u16 key_len);
int kfkv_store_charge(struct kfkv_store *st, u64 bytes);
void kfkv_store_uncharge(struct kfkv_store *st, u64 bytes);
struct kfkv_obj *kfkv_obj_alloc(struct kfkv_store *st, const u8 *key,
				u16 key_len);
void kfkv_obj_put(struct kfkv_obj *obj);
struct kfkv_obj *kfkv_index_find(struct kfkv_store *st, const u8 *key,
				 u16 key_len);
void kfkv_index_replace(struct kfkv_store *st, struct kfkv_obj *old,
			struct kfkv_obj *obj);
void kfkv_index_remove(struct kfkv_store *st, struct kfkv_obj *obj);
void kfkv_index_clear(struct kfkv_store *st);
u64 kfkv_next_version(struct kfkv_store *st);
int kfkv_put_check(const struct kfkv_obj *old,
		   const struct kfkv_req_info *ri, struct kfkv_rsp_info *rsp);
int kfkv_store_list(struct kfkv_store *st, const struct kfkv_req_info *ri,
		    const u8 *cookie, u8 *out, u32 room,
		    struct kfkv_rsp_info *rsp);

/* kfkv_store_dir.c */
int kfkv_dir_open(struct kfkv_store *st);
void kfkv_dir_close(struct kfkv_store *st);
int kfkv_dir_put(struct kfkv_store *st, struct kfkv_obj *obj,
		 const struct kfkv_obj *old, const struct kfkv_buf *val,
		 bool durable);
int kfkv_dir_read(struct kfkv_store *st, const struct kfkv_obj *obj,
		  struct kfkv_buf *buf, u64 off);
int kfkv_dir_delete(struct kfkv_store *st, const struct kfkv_obj *obj);

#endif /* _KFKV_TARGET_H */
