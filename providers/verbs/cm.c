// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: connection management over rdma_cm.
 *
 * Every rdma_cm id of the provider points (id->context) at the kind tag
 * of its owner: an endpoint, a passive endpoint, or a connection request
 * not yet claimed by an endpoint.  The provider's header (struct
 * kfiv_cm_hdr) goes in front of the consumer's private data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <net/net_namespace.h>
#include <rdma/ib_cm.h>
#include "kfi_verbs.h"

/*
 * kfiv_peps_lock guards kfiv_peps, each pep's cm_id and creqs list, and
 * each creq's cm_id and entry.  Never held while destroying an id: a CM
 * handler takes it under rdma_cm's handler mutex.
 */
static DEFINE_MUTEX(kfiv_peps_lock);
static LIST_HEAD(kfiv_peps);

/* rdma_cm keeps 36 of the 92 bytes of an IB/RoCE REQ for its own header. */
#define KFIV_IB_REQ_DATA	(92 - 36)

/**
 * kfiv_cm_data_max() - consumer private data a connect can carry
 * @ibdev: device
 * @port: port
 *
 * Return: bytes, after the provider's header.
 */
u32 kfiv_cm_data_max(struct ib_device *ibdev, u32 port)
{
	if (rdma_protocol_iwarp(ibdev, port))
		return KFI_CM_DATA_MAX;
	return KFIV_IB_REQ_DATA - sizeof(struct kfiv_cm_hdr);
}

struct kfiv_cm_buf {
	struct kfiv_cm_hdr hdr;
	u8 data[KFI_CM_DATA_MAX];
} __packed;

static u8 kfiv_cm_pack(struct kfiv_cm_buf *b, const void *param, u32 len,
		       u32 credits)
{
	memset(&b->hdr, 0, sizeof(b->hdr));
	b->hdr.magic = KFIV_CM_MAGIC;
	b->hdr.version = KFIV_PROTO_VERSION;
	b->hdr.datalen = len;
	b->hdr.credits = cpu_to_le16(min_t(u32, credits, KFIV_MAX_DEPTH));
	if (len)
		memcpy(b->data, param, len);
	return sizeof(b->hdr) + len;
}

/*
 * Check private data from the wire; the transport pads it, so the header
 * says how much is the consumer's.  Return the header or NULL.
 */
static const struct kfiv_cm_hdr *kfiv_cm_parse(const void *data, u32 len)
{
	const struct kfiv_cm_hdr *h = data;

	if (!data || len < sizeof(*h) || h->magic != KFIV_CM_MAGIC ||
	    h->version != KFIV_PROTO_VERSION ||
	    h->datalen > KFI_CM_DATA_MAX || h->datalen > len - sizeof(*h))
		return NULL;
	return h;
}

static void kfiv_cm_entry_data(struct kfi_eq_cm_entry *e,
			       const struct kfiv_cm_hdr *h)
{
	if (!h)
		return;
	e->datalen = h->datalen;
	memcpy(e->data, h + 1, h->datalen);
}

static void kfiv_conn_param(struct kfiv_ep *ep, struct rdma_conn_param *cp,
			    struct kfiv_cm_buf *b, const void *param, u32 len)
{
	const struct ib_device_attr *a = &ep->dom->ibdev->attrs;
	u32 depth = ep->base.info.ep_attr.max_rd_atomic ?: U8_MAX;
	u32 credits;

	/* Every receive posted so far is advertised as initial credit. */
	credits = kfiv_grant_take(ep);
	memset(cp, 0, sizeof(*cp));
	cp->private_data = b;
	cp->private_data_len = kfiv_cm_pack(b, param, len, credits);
	depth = min_t(u32, depth, U8_MAX);
	cp->responder_resources = min_t(u32, a->max_qp_rd_atom, depth);
	cp->initiator_depth = min_t(u32, a->max_qp_init_rd_atom, depth);
	cp->retry_count = 7;
	cp->rnr_retry_count = 7;
}

static void kfiv_ep_connected(struct kfiv_ep *ep, struct rdma_cm_event *ev)
{
	struct kfi_eq_cm_entry e = { .event = KFI_CONNECTED,
				     .fid = &ep->base.fid };
	const struct kfiv_cm_hdr *h = NULL;

	if (!ep->base.info.handle) {
		/* Active side: the accept carried the peer's credits. */
		h = kfiv_cm_parse(ev->param.conn.private_data,
				  ev->param.conn.private_data_len);
		if (!h) {
			pr_warn_ratelimited("peer is not a kfabric endpoint\n");
			kfiv_disconnect(ep);
			kfiv_ep_fail(ep, KFI_UNREACHABLE, -EPROTO, GFP_KERNEL);
			return;
		}
		kfi_credit_add(&ep->base, le16_to_cpu(h->credits));
	}
	kfiv_cm_entry_data(&e, h);
	kfi_ep_set_state(&ep->base, KFI_EP_CONNECTED);
	kfi_eq_report(ep->base.eq, &e, GFP_KERNEL);
	kfiv_credit_update(ep);
}

static void kfiv_ep_rejected(struct kfiv_ep *ep, struct rdma_cm_event *ev)
{
	struct kfi_eq_cm_entry e = { .event = KFI_REJECTED,
				     .fid = &ep->base.fid,
				     .err = -ECONNREFUSED };
	const void *data;
	u8 len = 0;

	data = rdma_consumer_reject_data(ep->cm_id, ev, &len);
	kfiv_cm_entry_data(&e, kfiv_cm_parse(data, len));
	kfi_ep_set_state(&ep->base, KFI_EP_SHUTDOWN);
	kfi_eq_report(ep->base.eq, &e, GFP_KERNEL);
}

static int kfiv_ep_cm_event(struct kfiv_ep *ep, struct rdma_cm_event *ev)
{
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		ep->cm_status = 0;
		complete(&ep->cm_done);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
		ep->cm_status = ev->status ?: -EHOSTUNREACH;
		complete(&ep->cm_done);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		kfiv_ep_connected(ep, ev);
		break;
	case RDMA_CM_EVENT_REJECTED:
		kfiv_ep_rejected(ep, ev);
		break;
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		kfiv_ep_fail(ep, KFI_UNREACHABLE, ev->status ?: -ETIMEDOUT,
			     GFP_KERNEL);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		/* Move the QP to error so outstanding work flushes. */
		kfiv_disconnect(ep);
		kfiv_ep_fail(ep, KFI_SHUTDOWN, 0, GFP_KERNEL);
		break;
	case RDMA_CM_EVENT_ADDR_CHANGE:
		/*
		 * The address the connection was made on moved (a bonding
		 * failover): the path is gone, so is the connection.
		 */
		kfiv_disconnect(ep);
		kfiv_ep_fail(ep, KFI_SHUTDOWN, -ENETRESET, GFP_KERNEL);
		break;
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		/*
		 * The QP left time-wait: the connection is over for sure.
		 * KFI_SHUTDOWN was normally reported on DISCONNECTED; this
		 * reports it if that never came (once either way).
		 */
		kfiv_ep_fail(ep, KFI_SHUTDOWN, 0, GFP_KERNEL);
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* kfiv_remove_one() runs first and destroys our ids. */
		kfiv_ep_fail(ep, KFI_DEVICE_REMOVAL, -ENODEV, GFP_KERNEL);
		break;
	default:
		/* CONNECT_REQUEST and the UD/multicast events: not ours. */
		pr_debug("cm event %s ignored\n", rdma_event_msg(ev->event));
		break;
	}
	return 0;
}

static void kfiv_connreq_info(struct kfi_info *fi, struct rdma_cm_id *id)
{
	struct sockaddr *src = (struct sockaddr *)&id->route.addr.src_addr;
	struct sockaddr *dst = (struct sockaddr *)&id->route.addr.dst_addr;
	u32 len = rdma_addr_size(src);

	memcpy(&fi->src_addr, src, len);
	fi->src_addrlen = len;
	len = rdma_addr_size(dst);
	memcpy(&fi->dest_addr, dst, len);
	fi->dest_addrlen = len;
	fi->addr_format = src->sa_family == AF_INET6 ? KFI_SOCKADDR_IN6 :
						       KFI_SOCKADDR_IN;
	strscpy(fi->domain_attr.name, dev_name(&id->device->dev),
		KFI_NAME_MAX);
	fi->domain_attr.port = id->port_num;
}

/*
 * A connection request on @pep's listener: hand it to the consumer as a
 * KFI_CONNREQ.  Returning non-zero makes rdma_cm destroy (reject) @id.
 */
static int kfiv_pep_connreq(struct kfiv_pep *pep, struct rdma_cm_id *id,
			    struct rdma_cm_event *ev)
{
	struct kfi_eq_cm_entry *e;
	const struct kfiv_cm_hdr *h;
	struct kfiv_creq *creq;
	int ret = -ENOMEM;

	h = kfiv_cm_parse(ev->param.conn.private_data,
			  ev->param.conn.private_data_len);
	if (!h)
		return -EPROTO;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	creq = kzalloc(sizeof(*creq), GFP_KERNEL);
	if (!e || !creq)
		goto free;
	e->info = kfi_dupinfo(&pep->base.info);
	if (!e->info)
		goto free;
	kfiv_connreq_info(e->info, id);
	creq->kind = KFIV_CM_CREQ;
	creq->base.pep = &pep->base;
	creq->pep = pep;
	creq->credits = le16_to_cpu(h->credits);
	e->info->handle = &creq->base;
	e->event = KFI_CONNREQ;
	e->fid = &pep->base.fid;
	kfiv_cm_entry_data(e, h);

	mutex_lock(&kfiv_peps_lock);
	if (!pep->cm_id) {
		mutex_unlock(&kfiv_peps_lock);
		ret = -ECONNABORTED;
		goto free_info;
	}
	creq->cm_id = id;
	id->context = &creq->kind;
	list_add_tail(&creq->entry, &pep->creqs);
	mutex_unlock(&kfiv_peps_lock);
	atomic_inc(&kfiv_live_objects);

	ret = kfi_eq_report(pep->base.eq, e, GFP_KERNEL);
	if (ret) {
		/* Nobody saw it: undo here, rdma_cm rejects the id. */
		mutex_lock(&kfiv_peps_lock);
		list_del(&creq->entry);
		mutex_unlock(&kfiv_peps_lock);
		atomic_dec(&kfiv_live_objects);
		goto free_info;
	}
	kfree(e);
	return 0;

free_info:
	e->info->handle = NULL;
	kfi_freeinfo(e->info);
free:
	kfree(creq);
	kfree(e);
	return ret;
}

/**
 * kfiv_cm_handler() - every rdma_cm event of the provider
 * @id: the id
 * @ev: the event
 *
 * Context: process context (rdma_cm's handler, under its handler mutex).
 * Return: non-zero only to have rdma_cm destroy a refused new id.
 */
int kfiv_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	enum kfiv_cm_kind *kind = id->context;

	switch (*kind) {
	case KFIV_CM_EP:
		return kfiv_ep_cm_event(container_of(kind, struct kfiv_ep,
						     kind), ev);
	case KFIV_CM_PEP:
		if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST)
			return kfiv_pep_connreq(container_of(kind,
							     struct kfiv_pep,
							     kind), id, ev);
		return 0;
	default:
		/* An unclaimed request: it dies with its connreq. */
		return 0;
	}
}

/**
 * kfiv_pep_open() - initialise a passive endpoint
 * @kpep: the core's passive endpoint, followed by ours
 *
 * Context: process context.
 * Return: 0.
 */
int kfiv_pep_open(struct kfid_pep *kpep)
{
	struct kfiv_pep *pep = to_pep(kpep);

	pep->kind = KFIV_CM_PEP;
	INIT_LIST_HEAD(&pep->creqs);
	mutex_lock(&kfiv_peps_lock);
	list_add_tail(&pep->entry, &kfiv_peps);
	mutex_unlock(&kfiv_peps_lock);
	atomic_inc(&kfiv_live_objects);
	return 0;
}

/**
 * kfiv_pep_listen() - listen on pep->info.src_addr
 * @kpep: the passive endpoint, bound to an EQ
 *
 * Context: process context.
 * Return: 0 or the rdma_cm error (-EADDRINUSE, -EADDRNOTAVAIL, ...).
 */
int kfiv_pep_listen(struct kfid_pep *kpep)
{
	struct kfiv_pep *pep = to_pep(kpep);
	struct rdma_cm_id *id;
	int ret;

	if (!kpep->info.src_addrlen)
		return -EINVAL;
	id = rdma_create_id(&init_net, kfiv_cm_handler, &pep->kind,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	ret = rdma_bind_addr(id, (struct sockaddr *)&kpep->info.src_addr);
	if (ret)
		goto destroy_id;
	mutex_lock(&kfiv_peps_lock);
	pep->cm_id = id;
	mutex_unlock(&kfiv_peps_lock);
	ret = rdma_listen(id, 128);
	if (ret)
		goto clear_id;
	return 0;

clear_id:
	mutex_lock(&kfiv_peps_lock);
	pep->cm_id = NULL;
	mutex_unlock(&kfiv_peps_lock);
destroy_id:
	rdma_destroy_id(id);
	return ret;
}

/* Detach an unclaimed request's id; the caller destroys it unlocked. */
static struct rdma_cm_id *kfiv_creq_detach(struct kfiv_creq *creq)
{
	struct rdma_cm_id *id = creq->cm_id;

	lockdep_assert_held(&kfiv_peps_lock);
	creq->cm_id = NULL;
	if (!list_empty(&creq->entry))
		list_del_init(&creq->entry);
	return id;
}

/**
 * kfiv_pep_close() - stop listening
 * @kpep: the passive endpoint
 *
 * Requests still waiting lose their ids (the peer sees a reject); their
 * connreqs are freed by the core later.
 *
 * Context: process context.
 */
void kfiv_pep_close(struct kfid_pep *kpep)
{
	struct kfiv_pep *pep = to_pep(kpep);
	struct rdma_cm_id *id;
	struct kfiv_creq *creq;

	mutex_lock(&kfiv_peps_lock);
	id = pep->cm_id;
	pep->cm_id = NULL;
	list_del(&pep->entry);
	mutex_unlock(&kfiv_peps_lock);
	if (id)
		rdma_destroy_id(id);

	for (;;) {
		mutex_lock(&kfiv_peps_lock);
		creq = list_first_entry_or_null(&pep->creqs, struct kfiv_creq,
						entry);
		id = creq ? kfiv_creq_detach(creq) : NULL;
		if (creq)
			creq->pep = NULL;
		mutex_unlock(&kfiv_peps_lock);
		if (!creq)
			break;
		if (id)
			rdma_destroy_id(id);
	}
	atomic_dec(&kfiv_live_objects);
}

/**
 * kfiv_peps_remove() - a device goes away: drop the listeners and requests
 *	on it
 * @ibdev: the device
 *
 * Listeners bound to an address of @ibdev stop and report
 * KFI_DEVICE_REMOVAL; wildcard listeners are kept by rdma_cm itself.
 *
 * Context: process context (ib_client remove).
 */
void kfiv_peps_remove(struct ib_device *ibdev)
{
	struct kfi_eq_cm_entry *e;
	struct rdma_cm_id *id;
	struct kfiv_creq *creq;
	struct kfiv_pep *pep;

again:
	id = NULL;
	e = NULL;
	mutex_lock(&kfiv_peps_lock);
	list_for_each_entry(pep, &kfiv_peps, entry) {
		if (pep->cm_id && pep->cm_id->device == ibdev) {
			id = pep->cm_id;
			pep->cm_id = NULL;
			e = kzalloc(sizeof(*e), GFP_KERNEL);
			if (e) {
				e->event = KFI_DEVICE_REMOVAL;
				e->fid = &pep->base.fid;
				e->err = -ENODEV;
				kfi_eq_report(pep->base.eq, e, GFP_KERNEL);
			}
			break;
		}
		list_for_each_entry(creq, &pep->creqs, entry) {
			if (creq->cm_id->device == ibdev) {
				id = kfiv_creq_detach(creq);
				break;
			}
		}
		if (id)
			break;
	}
	mutex_unlock(&kfiv_peps_lock);
	kfree(e);
	if (id) {
		rdma_destroy_id(id);
		goto again;
	}
}

/**
 * kfiv_connreq_free() - release a request, rejecting it if unclaimed
 * @kcreq: the request
 *
 * Context: process context.
 */
void kfiv_connreq_free(struct kfi_connreq *kcreq)
{
	struct kfiv_creq *creq = container_of(kcreq, struct kfiv_creq, base);
	struct rdma_cm_id *id;

	mutex_lock(&kfiv_peps_lock);
	id = kfiv_creq_detach(creq);
	mutex_unlock(&kfiv_peps_lock);
	if (id)
		rdma_destroy_id(id);
	kfree(creq);
	atomic_dec(&kfiv_live_objects);
}

/**
 * kfiv_reject() - reject a request with private data
 * @kpep: its listener
 * @kcreq: the request
 * @param: consumer data for the peer
 * @paramlen: its bytes
 *
 * Context: process context.
 * Return: 0, -ECONNABORTED if the request is gone, or rdma_cm's error.
 */
int kfiv_reject(struct kfid_pep *kpep, struct kfi_connreq *kcreq,
		const void *param, u32 paramlen)
{
	struct kfiv_creq *creq = container_of(kcreq, struct kfiv_creq, base);
	struct kfiv_cm_buf b;
	struct rdma_cm_id *id;
	int ret;

	if (paramlen > KFI_CM_DATA_MAX)
		return -EINVAL;
	mutex_lock(&kfiv_peps_lock);
	id = kfiv_creq_detach(creq);
	mutex_unlock(&kfiv_peps_lock);
	if (!id)
		return -ECONNABORTED;
	ret = rdma_reject(id, &b, kfiv_cm_pack(&b, param, paramlen, 0),
			  IB_CM_REJ_CONSUMER_DEFINED);
	rdma_destroy_id(id);
	return ret;
}

/**
 * kfiv_ep_take_creq() - give a passive endpoint its request's id
 * @ep: the endpoint, opened with info.handle
 *
 * Context: process context.
 * Return: 0, or -ECONNABORTED if the request lost its id.
 */
int kfiv_ep_take_creq(struct kfiv_ep *ep)
{
	struct kfiv_creq *creq = container_of(ep->base.info.handle,
					      struct kfiv_creq, base);
	struct rdma_cm_id *id;

	mutex_lock(&kfiv_peps_lock);
	id = kfiv_creq_detach(creq);
	mutex_unlock(&kfiv_peps_lock);
	if (!id)
		return -ECONNABORTED;
	if (id->device != ep->dom->ibdev) {
		rdma_destroy_id(id);
		return -EXDEV;
	}
	ep->peer_credits = creq->credits;
	/* Events of the id now concern the endpoint. */
	rdma_lock_handler(id);
	id->context = &ep->kind;
	rdma_unlock_handler(id);
	ep->cm_id = id;
	return 0;
}

/**
 * kfiv_disconnect() - end the connection from this side
 * @ep: endpoint with an id
 *
 * The QP moves to error and outstanding work flushes; marked first, so
 * that the flushes are not taken for a QP the device failed.
 *
 * Context: process context.
 */
void kfiv_disconnect(struct kfiv_ep *ep)
{
	WRITE_ONCE(ep->disconnecting, true);
	rdma_disconnect(ep->cm_id);
}

/* Setup calls need a live id with a QP.  Caller holds dom->lock. */
static int kfiv_ep_cm_ready(struct kfiv_ep *ep)
{
	lockdep_assert_held(&ep->dom->lock);
	if (ep->removed)
		return -ENODEV;
	if (!ep->cm_id || !ep->qp || ep->dead)
		return -ENOTCONN;
	return 0;
}

/**
 * kfiv_connect() - send a connection request with private data
 * @kep: enabled endpoint (address and route resolved)
 * @param: consumer data
 * @paramlen: its bytes
 *
 * Context: process context.
 * Return: 0 (KFI_CONNECTED, KFI_REJECTED or KFI_UNREACHABLE follows) or a
 * negative errno.
 */
int kfiv_connect(struct kfid_ep *kep, const void *param, u32 paramlen)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct rdma_conn_param cp;
	struct kfiv_cm_buf b;
	int ret;

	mutex_lock(&ep->dom->lock);
	ret = kfiv_ep_cm_ready(ep);
	if (ret)
		goto unlock;
	ret = -EINVAL;
	if (paramlen > kfiv_cm_data_max(ep->dom->ibdev, ep->dom->port))
		goto unlock;
	kfiv_conn_param(ep, &cp, &b, param, paramlen);
	/* The peer's credits arrive with its accept. */
	kfi_credit_init(kep, 0, 1);
	ret = rdma_connect(ep->cm_id, &cp);
unlock:
	mutex_unlock(&ep->dom->lock);
	return ret;
}

/**
 * kfiv_accept() - accept the request the endpoint was opened from
 * @kep: enabled passive-side endpoint
 * @param: consumer data
 * @paramlen: its bytes
 *
 * Context: process context.
 * Return: 0 (KFI_CONNECTED follows) or a negative errno.
 */
int kfiv_accept(struct kfid_ep *kep, const void *param, u32 paramlen)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct rdma_conn_param cp;
	struct kfiv_cm_buf b;
	int ret;

	mutex_lock(&ep->dom->lock);
	ret = kfiv_ep_cm_ready(ep);
	if (ret)
		goto unlock;
	ret = -EINVAL;
	if (paramlen > KFI_CM_DATA_MAX)
		goto unlock;
	kfiv_conn_param(ep, &cp, &b, param, paramlen);
	/*
	 * Credits are set before the accept leaves: the peer may send as
	 * soon as it has it, before our ESTABLISHED event.
	 */
	kfi_credit_init(kep, 0, 1);
	kfi_credit_add(kep, ep->peer_credits);
	rdma_lock_handler(ep->cm_id);
	ret = rdma_accept(ep->cm_id, &cp);
	rdma_unlock_handler(ep->cm_id);
unlock:
	mutex_unlock(&ep->dom->lock);
	return ret;
}

/**
 * kfiv_shutdown() - disconnect; outstanding operations flush
 * @kep: the endpoint
 *
 * Context: process context.
 * Return: 0.
 */
int kfiv_shutdown(struct kfid_ep *kep)
{
	struct kfiv_ep *ep = to_ep(kep);

	mutex_lock(&ep->dom->lock);
	if (ep->cm_id)
		kfiv_disconnect(ep);
	mutex_unlock(&ep->dom->lock);
	return 0;
}

static struct sockaddr *kfiv_id_addr(struct rdma_cm_id *id, bool peer)
{
	return (struct sockaddr *)(peer ? &id->route.addr.dst_addr :
				   &id->route.addr.src_addr);
}

/* Copy the address @sa into @addr (kfi_getname() rules). */
static int kfiv_addr_copy(const struct sockaddr *sa, void *addr,
			  size_t *addrlen)
{
	size_t len = rdma_addr_size(sa);

	if (!len)
		return -ENOTCONN;
	if (*addrlen < len) {
		*addrlen = len;
		return -ETOOSMALL;
	}
	memcpy(addr, sa, len);
	*addrlen = len;
	return 0;
}

static int kfiv_pep_getname(struct kfiv_pep *pep, void *addr,
			    size_t *addrlen)
{
	int ret = -ENOTCONN;

	mutex_lock(&kfiv_peps_lock);
	if (pep->cm_id)
		ret = kfiv_addr_copy(kfiv_id_addr(pep->cm_id, false), addr,
				     addrlen);
	mutex_unlock(&kfiv_peps_lock);
	return ret;
}

static int kfiv_ep_addr(struct kfiv_ep *ep, bool peer, void *addr,
			size_t *addrlen)
{
	int ret = -ENOTCONN;

	mutex_lock(&ep->dom->lock);
	if (ep->cm_id)
		ret = kfiv_addr_copy(kfiv_id_addr(ep->cm_id, peer), addr,
				     addrlen);
	mutex_unlock(&ep->dom->lock);
	return ret;
}

/**
 * kfiv_getname() - the local address of an endpoint or listener
 * @fid: the endpoint's or passive endpoint's kfid
 * @addr: receives the sockaddr
 * @addrlen: its room in, its size out
 *
 * Context: process context.
 * Return: 0, -ETOOSMALL, -ENOTCONN (no rdma_cm id, or not bound yet).
 */
int kfiv_getname(struct kfid *fid, void *addr, size_t *addrlen)
{
	if (fid->fclass == KFI_CLASS_PEP)
		return kfiv_pep_getname(to_pep(container_of(fid,
					struct kfid_pep, fid)), addr, addrlen);
	return kfiv_ep_addr(to_ep(container_of(fid, struct kfid_ep, fid)),
			    false, addr, addrlen);
}

/**
 * kfiv_getpeer() - the peer's address of a connected endpoint
 * @kep: the endpoint
 * @addr: receives the sockaddr
 * @addrlen: its room in, its size out
 *
 * Context: process context.
 * Return: 0, -ETOOSMALL, -ENOTCONN.
 */
int kfiv_getpeer(struct kfid_ep *kep, void *addr, size_t *addrlen)
{
	return kfiv_ep_addr(to_ep(kep), true, addr, addrlen);
}
