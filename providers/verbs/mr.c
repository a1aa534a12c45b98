// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: memory regions.
 *
 * Remote access is per I/O: kfi_mr_alloc() makes a fast-registration MR,
 * kfi_mr_map() posts IB_WR_REG_MR on an endpoint with a fresh key, and the
 * registration ends with a local invalidation (kfi_mr_unmap()) or the
 * peer's send with invalidate.  kfi_mr_reg() is local access only: the
 * PD's local_dma_lkey plus a DMA mapping; a long-lived remote registration
 * is kfi_mr_alloc() + kfi_mr_map() once on an endpoint.  There is no
 * global rkey.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/rcupdate.h>
#include "kfi_verbs.h"

/* Describe @iov in @sg (@sg has at least iov->count entries). */
static int kfiv_mr_sg_fill(struct scatterlist *sg, const struct kfi_iov *iov)
{
	u32 i;

	sg_init_table(sg, iov->count);
	for (i = 0; i < iov->count; i++) {
		if (iov->type == KFI_IOV_KVEC) {
			const struct kvec *kv = &iov->kvec[i];

			if (!virt_addr_valid(kv->iov_base))
				return -EINVAL;
			sg_set_buf(&sg[i], kv->iov_base, kv->iov_len);
		} else {
			const struct bio_vec *bv = &iov->bvec[i];

			sg_set_page(&sg[i], bv->bv_page, bv->bv_len,
				    bv->bv_offset);
		}
	}
	return 0;
}

/* Point mr->sgl at the buffers of @iov and DMA-map them. */
static int kfiv_mr_dma_map(struct kfiv_mr *mr, const struct kfi_iov *iov)
{
	struct ib_device *dev = mr->dom->ibdev;
	int ret, n;

	if (!iov->count)
		return -EINVAL;
	if (iov->type == KFI_IOV_SGL) {
		mr->sgl = iov->sgl;
	} else if (iov->type == KFI_IOV_KVEC || iov->type == KFI_IOV_BVEC) {
		ret = kfiv_mr_sg_fill(mr->sg, iov);
		if (ret)
			return ret;
		mr->sgl = mr->sg;
	} else {
		return -EINVAL;
	}
	mr->nents = iov->count;
	n = ib_dma_map_sg(dev, mr->sgl, mr->nents, DMA_BIDIRECTIONAL);
	if (n <= 0)
		return -ENOMEM;
	set_bit(KFIV_MR_MAPPED, &mr->state);
	return n;
}

/**
 * kfiv_mr_dma_unmap() - the registration ended: release the pages
 * @mr: MR
 *
 * Called once per mapping whichever way it ended (local or remote
 * invalidation, close).
 *
 * Context: any.
 */
void kfiv_mr_dma_unmap(struct kfiv_mr *mr)
{
	if (!test_and_clear_bit(KFIV_MR_MAPPED, &mr->state))
		return;
	ib_dma_unmap_sg(mr->dom->ibdev, mr->sgl, mr->nents, DMA_BIDIRECTIONAL);
	WRITE_ONCE(mr->base.mapped, false);
}

/**
 * kfiv_mr_invalidated() - the peer invalidated @rkey with a send
 * @dom: domain of the receiving endpoint
 * @rkey: the key, as the device reported it
 *
 * The key comes from the wire: it only acts on an MR of this domain whose
 * current key is exactly @rkey.
 *
 * Context: completion context.
 */
void kfiv_mr_invalidated(struct kfiv_domain *dom, u32 rkey)
{
	struct kfiv_mr *mr;

	rcu_read_lock();
	mr = xa_load(&dom->mr_keys, rkey >> 8);
	if (mr && mr->ibmr->rkey == rkey)
		kfiv_mr_dma_unmap(mr);
	rcu_read_unlock();
}

static int kfiv_mr_sg_alloc(struct kfiv_mr *mr, u32 n)
{
	mr->sg = kcalloc(n, sizeof(*mr->sg), GFP_KERNEL);
	return mr->sg ? 0 : -ENOMEM;
}

/* Add @mr to its domain; refuse if the device is gone. */
static int kfiv_mr_link(struct kfiv_mr *mr)
{
	lockdep_assert_held(&mr->dom->lock);
	if (mr->dom->dead)
		return -ENODEV;
	list_add_tail(&mr->entry, &mr->dom->mrs);
	atomic_inc(&kfiv_live_objects);
	return 0;
}

/**
 * kfiv_mr_reg() - long-lived local registration
 * @kmr: the core's MR, followed by ours
 * @iov: buffers
 *
 * Remote access would need a registration posted on a QP, which a domain
 * does not have: use kfi_mr_alloc() + kfi_mr_map() once on an endpoint.
 *
 * Context: process context.
 * Return: 0, -EOPNOTSUPP (remote access), -ENODEV, -EINVAL, -ENOMEM.
 */
int kfiv_mr_reg(struct kfid_mr *kmr, const struct kfi_iov *iov)
{
	struct kfiv_mr *mr = to_mr(kmr);
	struct scatterlist *sg;
	int ret, n, i;

	if (kmr->access & (KFI_REMOTE_READ | KFI_REMOTE_WRITE))
		return -EOPNOTSUPP;
	mr->dom = to_dom(kmr->domain);
	if (iov->type != KFI_IOV_SGL) {
		ret = kfiv_mr_sg_alloc(mr, iov->count ?: 1);
		if (ret)
			return ret;
	}
	mutex_lock(&mr->dom->lock);
	ret = mr->dom->dead ? -ENODEV : kfiv_mr_dma_map(mr, iov);
	if (ret < 0)
		goto unlock;
	n = ret;
	ret = kfiv_mr_link(mr);
	if (ret) {
		kfiv_mr_dma_unmap(mr);
		goto unlock;
	}
	kmr->len = 0;
	for_each_sg(mr->sgl, sg, n, i)
		kmr->len += sg_dma_len(sg);
	kmr->key = 0;
	kmr->iova = 0;
	kmr->desc = mr;
unlock:
	mutex_unlock(&mr->dom->lock);
	if (ret)
		kfree(mr->sg);
	return ret;
}

/**
 * kfiv_mr_alloc() - a fast-registration MR of max_segs pages
 * @kmr: the core's MR, followed by ours
 *
 * Context: process context.
 * Return: 0, -ENODEV, -EINVAL (over max_fast_reg_page_list_len), -ENOMEM.
 */
int kfiv_mr_alloc(struct kfid_mr *kmr)
{
	struct kfiv_mr *mr = to_mr(kmr);
	struct kfiv_domain *dom = to_dom(kmr->domain);
	int ret;

	mr->dom = dom;
	if (!kmr->max_segs ||
	    kmr->max_segs > dom->ibdev->attrs.max_fast_reg_page_list_len)
		return -EINVAL;
	ret = kfiv_mr_sg_alloc(mr, kmr->max_segs);
	if (ret)
		return ret;
	mutex_lock(&dom->lock);
	ret = dom->dead ? -ENODEV : 0;
	if (ret)
		goto unlock;
	mr->ibmr = ib_alloc_mr(dom->pd, IB_MR_TYPE_MEM_REG, kmr->max_segs);
	if (IS_ERR(mr->ibmr)) {
		ret = PTR_ERR(mr->ibmr);
		mr->ibmr = NULL;
		goto unlock;
	}
	mr->key_idx = mr->ibmr->rkey >> 8;
	ret = xa_insert(&dom->mr_keys, mr->key_idx, mr, GFP_KERNEL);
	if (ret)
		goto dereg;
	ret = kfiv_mr_link(mr);
	if (ret)
		goto erase;
	kmr->desc = mr;
	mutex_unlock(&dom->lock);
	return 0;

erase:
	xa_erase(&dom->mr_keys, mr->key_idx);
dereg:
	ib_dereg_mr(mr->ibmr);
	mr->ibmr = NULL;
unlock:
	mutex_unlock(&dom->lock);
	kfree(mr->sg);
	return ret;
}

static int kfiv_mr_ib_access(struct kfiv_mr *mr)
{
	int access = IB_ACCESS_LOCAL_WRITE;

	if (mr->base.access & KFI_REMOTE_READ)
		access |= IB_ACCESS_REMOTE_READ;
	if (mr->base.access & KFI_REMOTE_WRITE) {
		access |= IB_ACCESS_REMOTE_WRITE;
		if (mr->dom->ibdev->attrs.atomic_cap != IB_ATOMIC_NONE)
			access |= IB_ACCESS_REMOTE_ATOMIC;
	}
	return access;
}

/**
 * kfiv_mr_map() - register @iov for remote access, posted on @kep
 * @kep: endpoint whose send queue orders the registration
 * @kmr: allocated, unmapped MR of the endpoint's domain
 * @iov: buffers (inner ones page aligned, as for any fast registration)
 *
 * The key changes at every mapping, so a stale key of an earlier mapping
 * never reaches these pages.
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EBUSY (still mapped), -EINVAL, -EAGAIN, -ENOTCONN, -ENODEV.
 */
int kfiv_mr_map(struct kfid_ep *kep, struct kfid_mr *kmr,
		const struct kfi_iov *iov)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct kfiv_mr *mr = to_mr(kmr);
	int n, ret;

	if (!mr->ibmr || mr->dom != ep->dom || iov->count > kmr->max_segs)
		return -EINVAL;
	if (test_bit(KFIV_MR_MAPPED, &mr->state))
		return -EBUSY;
	if (ep->dead)
		return ep->removed ? -ENODEV : -ENOTCONN;
	n = kfiv_mr_dma_map(mr, iov);
	if (n < 0)
		return n == -ENOMEM ? -EAGAIN : n;
	ret = ib_map_mr_sg(mr->ibmr, mr->sgl, n, NULL, PAGE_SIZE);
	if (ret != n) {
		ret = -EINVAL;
		goto unmap;
	}
	ib_update_fast_reg_key(mr->ibmr, ib_inc_rkey(mr->ibmr->rkey));
	ret = kfiv_post_reg(ep, mr, kfiv_mr_ib_access(mr));
	if (ret)
		goto unmap;
	kmr->key = mr->ibmr->rkey;
	kmr->iova = mr->ibmr->iova;
	kmr->len = mr->ibmr->length;
	kmr->desc = mr;
	WRITE_ONCE(kmr->mapped, true);
	return 0;

unmap:
	kfiv_mr_dma_unmap(mr);
	return ret;
}

/**
 * kfiv_mr_unmap() - post a local invalidation of @kmr
 * @kep: endpoint
 * @kmr: mapped MR
 * @context: receives the completion (KFI_MR_OP)
 *
 * The pages are released when the invalidation completes.
 *
 * Context: any; never sleeps.
 * Return: 0, -EINVAL (not mapped), -EAGAIN, -ENOTCONN, -ENODEV.
 */
int kfiv_mr_unmap(struct kfid_ep *kep, struct kfid_mr *kmr,
		  struct kfi_context *context)
{
	struct kfiv_mr *mr = to_mr(kmr);

	if (!mr->ibmr || mr->dom != to_ep(kep)->dom ||
	    !test_bit(KFIV_MR_MAPPED, &mr->state))
		return -EINVAL;
	return kfiv_post_inv(to_ep(kep), mr, context);
}

/* Device part of an MR; the caller holds dom->lock. */
static void kfiv_mr_release_hw(struct kfiv_mr *mr)
{
	lockdep_assert_held(&mr->dom->lock);
	if (mr->ibmr) {
		xa_erase(&mr->dom->mr_keys, mr->key_idx);
		/* kfiv_mr_invalidated() may still look at it. */
		synchronize_rcu();
		ib_dereg_mr(mr->ibmr);
		mr->ibmr = NULL;
	}
	/* Deregistered (or local only): nothing reaches the pages now. */
	kfiv_mr_dma_unmap(mr);
}

/**
 * kfiv_mr_remove() - the device goes away
 * @mr: MR
 *
 * Context: process context, dom->lock held.
 */
void kfiv_mr_remove(struct kfiv_mr *mr)
{
	kfiv_mr_release_hw(mr);
}

/**
 * kfiv_mr_close() - deregister and release
 * @kmr: MR
 *
 * Context: process context.
 */
void kfiv_mr_close(struct kfid_mr *kmr)
{
	struct kfiv_mr *mr = to_mr(kmr);
	struct kfiv_domain *dom = mr->dom;

	mutex_lock(&dom->lock);
	kfiv_mr_release_hw(mr);
	list_del(&mr->entry);
	mutex_unlock(&dom->lock);
	kfree(mr->sg);
	atomic_dec(&kfiv_live_objects);
}
