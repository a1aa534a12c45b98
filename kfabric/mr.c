// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: memory regions.
 *
 * Two kinds: long-lived registrations (kfi_mr_reg()) and fast-registration
 * MRs (kfi_mr_alloc()) that are mapped per I/O on an endpoint's send queue
 * (kfi_mr_map()) and invalidated before reuse (kfi_mr_unmap()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "kfi_priv.h"

/* Bytes in a kvec or bvec list; the MR calls take no scatterlist length. */
static int kfi_mr_iov_check(const struct kfi_iov *iov, u32 limit, u64 *len)
{
	u32 i;

	*len = 0;
	if (!iov || !iov->count || !iov->kvec || (limit && iov->count > limit))
		return -EINVAL;
	for (i = 0; i < iov->count; i++) {
		switch (iov->type) {
		case KFI_IOV_KVEC:
			if (!iov->kvec[i].iov_base || !iov->kvec[i].iov_len)
				return -EINVAL;
			*len += iov->kvec[i].iov_len;
			break;
		case KFI_IOV_BVEC:
			if (!iov->bvec[i].bv_page || !iov->bvec[i].bv_len)
				return -EINVAL;
			*len += iov->bvec[i].bv_len;
			break;
		case KFI_IOV_SGL:
			/* The provider walks the list; only count it. */
			return 0;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

static int kfi_mr_check_access(u64 access)
{
	return access && !(access & ~KFI_ACCESS_MASK) ? 0 : -EINVAL;
}

static struct kfid_mr *kfi_mr_new(struct kfid_domain *domain, u64 access,
				  void *context)
{
	struct kfi_provider *prov = domain->fid.prov;
	struct kfid_mr *mr;

	mr = kfid_alloc(prov, prov->mr_size, KFI_CLASS_MR, &domain->fid,
			context);
	if (IS_ERR(mr))
		return mr;
	mr->domain = domain;
	mr->access = access;
	return mr;
}

/**
 * kfi_mr_reg() - register buffers for as long as the MR lives
 * @domain: open domain
 * @iov: the buffers (kvec, bvec or scatterlist)
 * @access: KFI_READ, KFI_WRITE, KFI_REMOTE_READ, KFI_REMOTE_WRITE
 * @mr: receives the MR; mr->key, mr->iova, mr->len and mr->desc are set
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument, no access or unknown access bits,
 * empty buffer); -EOPNOTSUPP; -ENOMEM; or the provider's error.
 */
int kfi_mr_reg(struct kfid_domain *domain, const struct kfi_iov *iov,
	       u64 access, struct kfid_mr **mr, void *context)
{
	struct kfid_mr *m;
	u64 len;
	int ret;

	if (!KFI_VALID(domain, KFI_CLASS_DOMAIN) || !mr)
		return -EINVAL;
	ret = kfi_mr_check_access(access);
	ret = ret ?: kfi_mr_iov_check(iov, 0, &len);
	if (ret)
		return ret;
	if (domain->attr.max_mr_size && len > domain->attr.max_mr_size)
		return -EINVAL;
	if (!domain->fid.prov->ops->mr_reg)
		return -EOPNOTSUPP;

	m = kfi_mr_new(domain, access, context);
	if (IS_ERR(m))
		return PTR_ERR(m);
	m->len = len;
	ret = domain->fid.prov->ops->mr_reg(m, iov);
	if (ret) {
		kfid_put(&m->fid);
		return ret;
	}
	*mr = m;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_mr_reg);

/**
 * kfi_mr_alloc() - prepare a fast-registration MR
 * @domain: open domain
 * @max_segs: pages it may map, 1 to domain_attr.max_mr_segs
 * @access: as for kfi_mr_reg()
 * @mr: receives the MR (unmapped)
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL; -EOPNOTSUPP; -ENOMEM; or the provider's error.
 */
int kfi_mr_alloc(struct kfid_domain *domain, u32 max_segs, u64 access,
		 struct kfid_mr **mr, void *context)
{
	struct kfid_mr *m;
	int ret;

	if (!KFI_VALID(domain, KFI_CLASS_DOMAIN) || !mr || !max_segs)
		return -EINVAL;
	if (domain->attr.max_mr_segs && max_segs > domain->attr.max_mr_segs)
		return -EINVAL;
	ret = kfi_mr_check_access(access);
	if (ret)
		return ret;
	if (!domain->fid.prov->ops->mr_alloc)
		return -EOPNOTSUPP;

	m = kfi_mr_new(domain, access, context);
	if (IS_ERR(m))
		return PTR_ERR(m);
	m->max_segs = max_segs;
	ret = domain->fid.prov->ops->mr_alloc(m);
	if (ret) {
		kfid_put(&m->fid);
		return ret;
	}
	*mr = m;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_mr_alloc);

static int kfi_mr_ep_check(struct kfid_ep *ep, struct kfid_mr *mr)
{
	enum kfi_ep_state state;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !KFI_VALID(mr, KFI_CLASS_MR) ||
	    !mr->max_segs || mr->domain != ep->domain)
		return -EINVAL;
	state = READ_ONCE(ep->state);
	if (state == KFI_EP_IDLE)
		return -EINVAL;
	/* Posted on the send queue, so only where a send could go. */
	if (state != KFI_EP_CONNECTED)
		return -ENOTCONN;
	return 0;
}

/**
 * kfi_mr_map() - post a fast registration of @iov into @mr on @ep
 * @ep: connected endpoint of @mr's domain
 * @mr: unmapped MR from kfi_mr_alloc()
 * @iov: buffers, at most @mr->max_segs entries
 *
 * mr->key, mr->iova and mr->len are set when this returns 0; the
 * registration itself is posted on @ep's send queue and is ordered before
 * every operation posted on @ep after it, so the key may be sent to the
 * peer in the next message on @ep.  The key is the domain's: it works
 * for RMA arriving on any endpoint of the domain once the registration
 * has executed.  A registration the device refuses gives no completion
 * of its own: the endpoint fails (KFI_SHUTDOWN with the error on its EQ)
 * and everything posted after it is flushed.
 *
 * Context: any; never sleeps.
 * Return: 0; -EINVAL (bad argument, MR from kfi_mr_reg(), too many
 * entries, endpoint never enabled); -EBUSY (mapped already); -ENOTCONN
 * (endpoint not connected); -EAGAIN (send queue full); -EIO (the buffers
 * could not be DMA-mapped); -EOPNOTSUPP.
 */
int kfi_mr_map(struct kfid_ep *ep, struct kfid_mr *mr,
	       const struct kfi_iov *iov)
{
	u64 len;
	int ret;

	ret = kfi_mr_ep_check(ep, mr);
	ret = ret ?: kfi_mr_iov_check(iov, mr->max_segs, &len);
	if (ret)
		return ret;
	if (mr->mapped)
		return -EBUSY;
	if (!ep->fid.prov->ops->mr_map)
		return -EOPNOTSUPP;
	ret = ep->fid.prov->ops->mr_map(ep, mr, iov);
	if (!ret)
		mr->mapped = true;
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_mr_map);

/**
 * kfi_mr_unmap() - post the invalidation of a mapped MR
 * @ep: connected endpoint of @mr's domain
 * @mr: mapped MR
 * @context: its completion (flags KFI_MR_OP) goes here
 *
 * The key stops working when the completion is delivered, not before.
 * On an endpoint that is no longer connected, close the MR instead:
 * closing deregisters it whatever its state.
 *
 * Context: any; never sleeps.
 * Return: 0; -EINVAL (bad argument, not mapped); -ENOTCONN (endpoint not
 * connected); -EAGAIN (send queue full); -EOPNOTSUPP.
 */
int kfi_mr_unmap(struct kfid_ep *ep, struct kfid_mr *mr,
		 struct kfi_context *context)
{
	int ret;

	ret = kfi_mr_ep_check(ep, mr);
	if (ret)
		return ret;
	if (!mr->mapped)
		return -EINVAL;
	if (!ep->fid.prov->ops->mr_unmap)
		return -EOPNOTSUPP;
	ret = ep->fid.prov->ops->mr_unmap(ep, mr, context);
	if (!ret)
		mr->mapped = false;
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_mr_unmap);

void kfi_mr_close(struct kfid_mr *mr)
{
	mr->fid.prov->ops->mr_close(mr);
	kfid_put(&mr->fid);
}

/**
 * kfi_mr_sync() - make an MR's pages coherent before the CPU or the device
 *	touches them
 * @mr: MR registered with kfi_mr_reg(), or mapped with kfi_mr_map()
 * @dir: KFI_SYNC_FOR_CPU before the CPU reads what the peer wrote into
 *	@mr (an RMA write it announced); KFI_SYNC_FOR_DEVICE after the CPU
 *	wrote what the peer will read (or before the peer writes again)
 *
 * A region stays DMA-mapped for the device as long as it is registered,
 * so on a machine whose DMA is not cache-coherent (or that bounces it) the
 * CPU may see stale data without this call.  Where the provider needs no
 * such step, this is 0 and costs nothing.  Not while the MR is being
 * unmapped or closed.
 *
 * Context: any; never sleeps.
 * Return: 0; -EINVAL (bad argument or direction, a fast-registration MR
 * that is not mapped).
 */
int kfi_mr_sync(struct kfid_mr *mr, enum kfi_sync_dir dir)
{
	if (!KFI_VALID(mr, KFI_CLASS_MR) ||
	    (dir != KFI_SYNC_FOR_CPU && dir != KFI_SYNC_FOR_DEVICE))
		return -EINVAL;
	/* Whatever the provider: an allocated MR has pages only when mapped. */
	if (mr->max_segs && !READ_ONCE(mr->mapped))
		return -EINVAL;
	if (!mr->fid.prov->ops->mr_sync)
		return 0;
	return mr->fid.prov->ops->mr_sync(mr, dir);
}
EXPORT_SYMBOL_GPL(kfi_mr_sync);
