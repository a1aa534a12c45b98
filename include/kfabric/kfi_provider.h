/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric provider API: for provider modules only, never for consumers.
 *
 * A provider fills a static const struct kfi_provider_ops and registers a
 * struct kfi_provider.  The core allocates every object: the provider says
 * how big its own structure is (@domain_size, @ep_size, ...), that
 * structure starts with the core's (struct kfid_ep first, and so on), and
 * the provider's open op initialises its part.  The core keeps references,
 * parent/child counts, object state, counters, credits and completion
 * dispatch, so a provider only maps the operations onto its fabric.
 *
 * Documentation/kfabric/provider-guide.rst tells the whole contract.
 */
#ifndef _KFABRIC_KFI_PROVIDER_H
#define _KFABRIC_KFI_PROVIDER_H

#include <kfabric/kfi.h>
#include <linux/module.h>
#include <linux/refcount.h>

struct kfi_provider;

/**
 * struct kfi_connreq - a connection request waiting for accept or reject
 * @pep: the passive endpoint it arrived on
 * @ep: the endpoint opened from it (kfi_endpoint() with info->handle), or
 *	NULL while unclaimed
 * @ref: private to the core: the consumer's info and the endpoint opened
 *	from it each hold one; ->connreq_free() runs when the last goes
 * @rejected: private to the core: kfi_reject() was called
 *
 * The provider allocates its own structure starting with this one, hands
 * it to the consumer in the KFI_CONNREQ event's info->handle, and frees it
 * in ->connreq_free().  The core initialises the private fields when the
 * event is reported with kfi_eq_report() and holds a reference on @pep
 * until the request is freed, so ->reject and ->connreq_free may run
 * after ->pep_close.
 */
struct kfi_connreq {
	struct kfid_pep *pep;
	struct kfid_ep *ep;

	/* private: core only */
	refcount_t ref;
	bool rejected;
};

/**
 * struct kfi_provider_ops - what a provider implements
 *
 * Ops marked mandatory are checked by kfi_provider_register(); a missing
 * optional op makes the matching consumer call return -EOPNOTSUPP.  The
 * core has validated every argument (object class, state, flags, sizes
 * against the provider's advertised limits) before an op is called.
 *
 * @getinfo: mandatory.  Return, as a list of kfi_allocinfo() entries, one
 *	entry per domain (device, port) that can serve @hints (whose
 *	src_addr/dest_addr the core already resolved from node/service).
 *	The core filters the list further by @hints.  Process context.
 * @domain_open: mandatory.  Open the device named by
 *	info->domain_attr.name.  Process context.
 * @domain_close: mandatory.  Process context.
 * @cq_open: mandatory.  Create the CQ described by cq->attr.  Process
 *	context.
 * @cq_close: mandatory.  After it returns no completion for @cq may be
 *	delivered.  Process context.
 * @cq_poll: optional.  Process up to @budget completions now, delivering
 *	each through kfi_cq_complete(); return how many.  Any context.
 *	Without it, kfi_cq_poll() runs the core's software queue
 *	(kfi_cq_sw_complete()).
 * @pep_open: optional (no passive side without it).  Process context.
 * @pep_listen: optional.  Process context.
 * @pep_close: optional.  Process context.
 * @connreq_free: optional; mandatory with @pep_listen.  Release a request.
 * @reject: optional; mandatory with @pep_listen.  Reject @creq, sending
 *	@param to the peer; the core then calls @connreq_free.
 * @ep_open: mandatory.  Initialise the endpoint (ep->info holds what it is
 *	opened with; ep->info.handle the request on the passive side).
 * @ep_enable: mandatory.  The CQs and EQ are bound: create the queues.
 * @connect: optional.  Start connecting; report KFI_CONNECTED,
 *	KFI_REJECTED or KFI_UNREACHABLE on ep->eq later.
 * @accept: optional.  Accept ep->info.handle; report KFI_CONNECTED later.
 * @shutdown: optional.  Disconnect; outstanding operations complete with
 *	-ECANCELED.
 * @ep_close: mandatory.  Flush every outstanding operation with an error
 *	completion, then free the queues.  Process context.
 * @mr_reg: optional.  Register @iov for long-lived use (local and remote
 *	per mr->access); may sleep.
 * @mr_alloc: optional.  Prepare a fast-registration MR of mr->max_segs
 *	pages; may sleep.
 * @mr_map: optional.  Post a fast registration of @iov on @ep, ordered
 *	before the next operations posted on @ep; set mr->key, mr->iova,
 *	mr->len.  Never sleeps.
 * @mr_unmap: optional.  Post a local invalidation of @mr on @ep; its
 *	completion (flags KFI_MR_OP) goes to @context.  Never sleeps.
 * @mr_close: mandatory if any MR op is given.  Process context.
 * @mr_sync: optional (a provider whose MRs need no cache maintenance
 *	leaves it out: kfi_mr_sync() is then 0).  Make the pages of a
 *	registered or mapped @mr coherent for the CPU or the device, as
 *	@dir says (dma_sync_*_for_cpu/_for_device).  Any context; never
 *	sleeps.  Return 0, or -EINVAL if @mr is not mapped.
 * @send: mandatory.  Post a send (also inject, senddata, send with
 *	invalidate: see @flags).  The core has taken a send credit if the
 *	endpoint uses credits; return -EAGAIN if the queue is full.  Never
 *	sleeps, never allocates.  For @send, @read, @write and @atomic:
 *	deliver a successful completion only if @flags has KFI_COMPLETION
 *	(the core sets it on every operation but injects unless the
 *	endpoint selects completions, see kfi_provider.flags); deliver a
 *	failed one always, except for an inject posted without
 *	KFI_COMPLETION, whose failure ends the connection instead.
 * @recv: mandatory.  Post a receive.  Never sleeps, never allocates.
 * @read: optional.  Post RMA reads.  Never sleeps, never allocates.
 * @write: optional.  Post RMA writes.  Never sleeps, never allocates.
 * @atomic: optional.  Post a 64-bit atomic.  Never sleeps, never allocates.
 * @getname: optional.  The local address of an endpoint or passive
 *	endpoint into @addr (*@addrlen bytes; set it to the address's size,
 *	-ETOOSMALL if the buffer is shorter).  Process context.
 * @getpeer: optional.  The same for the peer of a connected endpoint.
 * @size_left: optional.  Operations that can be posted on the send
 *	(@tx) or receive queue now without -EAGAIN for a full queue.  Any
 *	context.
 * @strerror: optional.  A short text for a completion's prov_errno.
 *	Any context; returns a static string.
 * @cancel: optional.  Take back the receive posted on @ep with @context
 *	that has not matched a message yet, and deliver its completion with
 *	-ECANCELED (flags KFI_RECV | KFI_MSG), in the CQ's poll context as
 *	any other.  Return 0 if found, -ENOENT if no such receive is
 *	waiting (already completing counts as not waiting).  Only receives
 *	are cancelled.  A provider whose device owns posted receives (verbs:
 *	a work request cannot be withdrawn from a queue pair) leaves it out:
 *	kfi_cancel() is then -EOPNOTSUPP.  Any context; never sleeps.
 * @srx_open: optional (kfi_srx_context() is -EOPNOTSUPP without it).
 *	Initialise the shared receive context @srx of srx->domain, whose
 *	srx->info.rx_attr gives its depth and iov_limit.  Endpoints bound to
 *	it (ep->srx, set before @ep_enable) take their messages' receives
 *	from it, in the order they were posted, and complete them on their
 *	own receive CQ with entry->ep naming the endpoint.  A message that
 *	finds no receive waits for one, however long (the peer is held back,
 *	never dropped nor failed).  Process context.
 * @srx_close: mandatory with @srx_open.  No endpoint is bound any more:
 *	forget the receives still posted (no completion; the consumer owns
 *	their buffers again) and free the queue.  Process context.
 * @srx_recv: mandatory with @srx_open.  Post a receive on a shared
 *	receive context.  Never sleeps, never allocates.
 * @doorbell: optional (mandatory for a provider that defers requests
 *	posted with KFI_MORE).  Hand the device every request of @ep still
 *	deferred.  The core calls it after any post on @ep failed, so a
 *	batch whose last post was refused is not stranded.  Any context;
 *	never sleeps.
 */
struct kfi_provider_ops {
	int (*getinfo)(struct kfi_provider *prov, const struct kfi_info *hints,
		       u64 flags, struct kfi_info **info);

	int (*domain_open)(struct kfid_domain *domain,
			   const struct kfi_info *info);
	void (*domain_close)(struct kfid_domain *domain);

	int (*cq_open)(struct kfid_cq *cq);
	void (*cq_close)(struct kfid_cq *cq);
	int (*cq_poll)(struct kfid_cq *cq, int budget);

	int (*pep_open)(struct kfid_pep *pep);
	int (*pep_listen)(struct kfid_pep *pep);
	void (*pep_close)(struct kfid_pep *pep);
	void (*connreq_free)(struct kfi_connreq *creq);
	int (*reject)(struct kfid_pep *pep, struct kfi_connreq *creq,
		      const void *param, u32 paramlen);

	int (*ep_open)(struct kfid_ep *ep);
	int (*ep_enable)(struct kfid_ep *ep);
	int (*connect)(struct kfid_ep *ep, const void *param, u32 paramlen);
	int (*accept)(struct kfid_ep *ep, const void *param, u32 paramlen);
	int (*shutdown)(struct kfid_ep *ep);
	void (*ep_close)(struct kfid_ep *ep);

	int (*mr_reg)(struct kfid_mr *mr, const struct kfi_iov *iov);
	int (*mr_alloc)(struct kfid_mr *mr);
	int (*mr_map)(struct kfid_ep *ep, struct kfid_mr *mr,
		      const struct kfi_iov *iov);
	int (*mr_unmap)(struct kfid_ep *ep, struct kfid_mr *mr,
			struct kfi_context *context);
	void (*mr_close)(struct kfid_mr *mr);
	int (*mr_sync)(struct kfid_mr *mr, enum kfi_sync_dir dir);

	int (*send)(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
	int (*recv)(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
	int (*read)(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
		    u64 flags);
	int (*write)(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
		     u64 flags);
	int (*atomic)(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		      u64 flags);

	int (*getname)(struct kfid *fid, void *addr, size_t *addrlen);
	int (*getpeer)(struct kfid_ep *ep, void *addr, size_t *addrlen);
	int (*size_left)(struct kfid_ep *ep, bool tx);
	const char *(*strerror)(struct kfid_cq *cq, int prov_errno);
	void (*doorbell)(struct kfid_ep *ep);
	int (*cancel)(struct kfid_ep *ep, struct kfi_context *context);

	int (*srx_open)(struct kfid_ep *srx);
	void (*srx_close)(struct kfid_ep *srx);
	int (*srx_recv)(struct kfid_ep *srx, const struct kfi_msg *msg,
			u64 flags);
};

/* struct kfi_provider.priority: hardware providers before software ones */
#define KFI_PRIORITY_SW		0
#define KFI_PRIORITY_HW		100

/**
 * struct kfi_provider - a registered provider
 * @name: short name matched by hints' fabric_attr.prov_name ("verbs")
 * @version: the provider's own version, KFI_VERSION(major, minor) (kfi_info
 *	shows it as major.minor)
 * @api_version: KFI_VERSION() of the API it was built against; the major
 *	must equal the core's and the minor be at most the core's
 * @owner: THIS_MODULE; pinned while any object of the provider lives
 * @ops: the operations
 * @domain_size: bytes of the provider's domain (>= sizeof(kfid_domain))
 * @cq_size: bytes of its CQ
 * @pep_size: bytes of its passive endpoint
 * @ep_size: bytes of its endpoint
 * @mr_size: bytes of its MR
 * @srx_size: bytes of its shared receive context (>= sizeof(kfid_ep))
 * @flags: KFI_SELECTIVE_COMPLETION if the provider honours KFI_COMPLETION
 *	(without it, kfi_ep_bind() refuses selective completion)
 * @priority: where kfi_getinfo() lists the provider's entries: higher
 *	first, equal ones in registration order, so that a consumer that
 *	names no provider and takes the first entry gets the fabric that
 *	offloads the most.  KFI_PRIORITY_HW for a provider whose device
 *	moves the bytes (verbs), KFI_PRIORITY_SW (0) for one whose CPU does
 *	(tcp)
 * @list: private to the core: entry on the registry
 * @objects: private to the core: live objects of this provider
 * @dir: private to the core: the provider's debugfs directory
 */
struct kfi_provider {
	const char *name;
	u32 version;
	u32 api_version;
	struct module *owner;
	const struct kfi_provider_ops *ops;
	size_t domain_size;
	size_t cq_size;
	size_t pep_size;
	size_t ep_size;
	size_t mr_size;
	size_t srx_size;
	u64 flags;
	int priority;

	/* private: core only */
	struct list_head list;
	struct list_head objects;
	struct dentry *dir;
};

int kfi_provider_register(struct kfi_provider *prov);
int kfi_provider_unregister(struct kfi_provider *prov);

/* Completions: call from the CQ's poll context. */

void kfi_cq_complete(struct kfid_cq *cq, const struct kfi_cq_entry *entry);
int kfi_cq_sw_complete(struct kfid_cq *cq, const struct kfi_cq_entry *entry);
/* The same, for an endpoint's operation: its counters are kept too. */
void kfi_ep_complete(struct kfid_ep *ep, struct kfid_cq *cq,
		     const struct kfi_cq_entry *entry);
int kfi_ep_sw_complete(struct kfid_ep *ep, struct kfid_cq *cq,
		       const struct kfi_cq_entry *entry);

/* Events: any context; the core defers handlers to process context. */

int kfi_eq_report(struct kfid_eq *eq, const struct kfi_eq_cm_entry *entry,
		  gfp_t gfp);
void kfi_ep_set_state(struct kfid_ep *ep, enum kfi_ep_state state);

/* Credits: see struct kfi_credits. */

void kfi_credit_init(struct kfid_ep *ep, u32 send, u32 reserve);
void kfi_credit_add(struct kfid_ep *ep, u32 n);
int kfi_credit_take_reserved(struct kfid_ep *ep);
u32 kfi_credit_take_grant(struct kfid_ep *ep);
void kfi_credit_add_grant(struct kfid_ep *ep, u32 n);

/**
 * kfi_credit_pending_grant() - receives posted but not yet advertised
 * @ep: endpoint
 *
 * Context: any.
 * Return: how many credits the peer has not been told about.
 */
static inline u32 kfi_credit_pending_grant(struct kfid_ep *ep)
{
	return atomic_read(&ep->credits.grant);
}

#endif /* _KFABRIC_KFI_PROVIDER_H */
