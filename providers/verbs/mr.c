// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: memory regions.
 *
 * Remote access is per I/O: kfi_mr_alloc() makes a fast-registration MR,
 * kfi_mr_map() posts IB_WR_REG_MR on an endpoint with a fresh key, and the
 * registration ends with a local invalidation (kfi_mr_unmap()) or the
 * peer's send with invalidate.  kfi_mr_reg() with local access only is the
 * PD's local_dma_lkey plus a DMA mapping; with remote access it is a fast
 * registration of the whole region posted once on a connected endpoint of
 * the domain (kfiv_mr_reg_remote()).  There is no global rkey.
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
		return -EIO;
	mr->dma_nents = n;
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
 * kfiv_mr_sync() - DMA sync of a mapped region for the CPU or the device
 * @kmr: MR
 * @dir: KFI_SYNC_FOR_CPU or KFI_SYNC_FOR_DEVICE
 *
 * The region is mapped bidirectional for as long as it is registered; the
 * DMA API's sync calls are what make it coherent where the platform is
 * not (or bounces), and cost nothing where it is.  ib_core has no sync
 * for a scatterlist, so this does what its ib_dma_* wrappers do.
 *
 * Context: any; never sleeps.
 * Return: 0, or -EINVAL if the region is not mapped.
 */
int kfiv_mr_sync(struct kfid_mr *kmr, enum kfi_sync_dir dir)
{
	struct kfiv_mr *mr = to_mr(kmr);
	struct ib_device *dev = mr->dom->ibdev;

	if (!test_bit(KFIV_MR_MAPPED, &mr->state))
		return -EINVAL;
	/* Software devices (rxe, siw) reach the pages through the CPU. */
	if (ib_uses_virt_dma(dev))
		return 0;
	if (dir == KFI_SYNC_FOR_CPU)
		dma_sync_sg_for_cpu(dev->dma_device, mr->sgl, mr->nents,
				    DMA_BIDIRECTIONAL);
	else
		dma_sync_sg_for_device(dev->dma_device, mr->sgl, mr->nents,
				       DMA_BIDIRECTIONAL);
	return 0;
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
	unsigned long flags;

	/* Under the array's lock: an MR being closed waits in xa_erase. */
	xa_lock_irqsave(&dom->mr_keys, flags);
	mr = xa_load(&dom->mr_keys, rkey >> 8);
	if (mr && mr->ibmr->rkey == rkey)
		kfiv_mr_dma_unmap(mr);
	xa_unlock_irqrestore(&dom->mr_keys, flags);
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

/* Pages a fast registration of the mapped @mr needs (inner ones aligned). */
static u32 kfiv_mr_pages(struct kfiv_mr *mr, int n)
{
	struct scatterlist *sg;
	u32 pages = 0;
	int i;

	for_each_sg(mr->sgl, sg, n, i)
		pages += DIV_ROUND_UP(offset_in_page(sg_dma_address(sg)) +
				      sg_dma_len(sg), PAGE_SIZE);
	return pages;
}

/* A connected endpoint of @dom to post a registration on.  dom->lock held. */
static struct kfiv_ep *kfiv_mr_reg_ep(struct kfiv_domain *dom)
{
	struct kfiv_ep *ep;

	lockdep_assert_held(&dom->lock);
	list_for_each_entry(ep, &dom->eps, entry)
		if (ep->qp && !ep->dead &&
		    READ_ONCE(ep->base.state) == KFI_EP_CONNECTED)
			return ep;
	return NULL;
}

static int kfiv_mr_key_add(struct kfiv_mr *mr)
{
	mr->key_idx = mr->ibmr->rkey >> 8;
	return xa_insert_irq(&mr->dom->mr_keys, mr->key_idx, mr, GFP_KERNEL);
}

static void kfiv_mr_ibmr_free(struct kfiv_mr *mr, bool keyed)
{
	if (keyed)
		xa_erase_irq(&mr->dom->mr_keys, mr->key_idx);
	ib_dereg_mr(mr->ibmr);
	mr->ibmr = NULL;
}

/*
 * Remote access: a fast registration of the whole region, posted on a
 * connected endpoint of the domain (a domain has no QP of its own) and
 * waited for.  The key belongs to the PD, so it serves every endpoint of
 * the domain and outlives the endpoint it was posted on.
 */
static int kfiv_mr_reg_remote(struct kfiv_mr *mr, int n)
{
	struct kfiv_wait wait = { .status = IB_WC_SUCCESS };
	struct kfiv_ep *ep = kfiv_mr_reg_ep(mr->dom);
	int ret;

	if (!ep)
		return -ENOTCONN;
	mr->ibmr = ib_alloc_mr(mr->dom->pd, IB_MR_TYPE_MEM_REG,
			       kfiv_mr_pages(mr, n));
	if (IS_ERR(mr->ibmr)) {
		ret = PTR_ERR(mr->ibmr);
		mr->ibmr = NULL;
		return ret;
	}
	ret = kfiv_mr_key_add(mr);
	if (ret) {
		kfiv_mr_ibmr_free(mr, false);
		return ret;
	}
	ret = ib_map_mr_sg(mr->ibmr, mr->sgl, n, NULL, PAGE_SIZE) == n ?
	      0 : -EINVAL;
	init_completion(&wait.done);
	if (!ret)
		ret = kfiv_post_reg(ep, mr, kfiv_mr_ib_access(mr), &wait);
	if (!ret) {
		kfiv_wait_poll(ep->base.tx_cq, &wait.done);
		ret = wait.status == IB_WC_SUCCESS ? 0 : -EIO;
	}
	if (ret)
		kfiv_mr_ibmr_free(mr, true);
	return ret;
}

static void kfiv_mr_reg_done(struct kfiv_mr *mr, int n)
{
	struct kfid_mr *kmr = &mr->base;
	struct scatterlist *sg;
	int i;

	kmr->desc = mr;
	set_bit(KFIV_MR_REG, &mr->state);
	if (mr->ibmr) {
		kmr->key = mr->ibmr->rkey;
		kmr->iova = mr->ibmr->iova;
		kmr->len = mr->ibmr->length;
		return;
	}
	kmr->len = 0;
	for_each_sg(mr->sgl, sg, n, i)
		kmr->len += sg_dma_len(sg);
	kmr->key = 0;
	kmr->iova = 0;
}

/* Offset of [@addr, @addr + @len) in @mr's buffers, if one holds it all. */
static bool kfiv_mr_offset(struct kfiv_mr *mr, const void *addr, u32 len,
			   u64 *off)
{
	struct scatterlist *sg;
	u64 at = 0;
	int i;

	for_each_sg(mr->sgl, sg, mr->nents, i) {
		const void *va;

		/* A highmem page has no lasting address to compare. */
		if (PageHighMem(sg_page(sg)))
			return false;
		va = sg_virt(sg);
		if (addr >= va && len <= sg->length &&
		    addr - va <= sg->length - len) {
			*off = at + (addr - va);
			return true;
		}
		at += sg->length;
	}
	return false;
}

/**
 * kfiv_mr_dma_range() - the DMA address of a buffer in a registration
 * @dom: the domain posting
 * @desc: a descriptor the consumer passed (kfid_mr.desc), or NULL
 * @addr: the buffer
 * @len: its length
 * @dma: its DMA address, when found
 *
 * A kfi_mr_reg() region of @dom is DMA-mapped for as long as it is open,
 * so a post of a buffer inside it needs no mapping of its own.  The DMA
 * segments cover the region's bytes in order, merged or not, so the
 * buffer's offset in the region finds its segment.
 *
 * Context: any; never sleeps.
 * Return: true if @desc is such a region of @dom and @addr..@addr + @len
 * lies in one of its buffers and one of its DMA segments.
 */
bool kfiv_mr_dma_range(struct kfiv_domain *dom, void *desc, const void *addr,
		       u32 len, u64 *dma)
{
	struct kfiv_mr *mr = desc;
	struct scatterlist *sg;
	u64 off, seg = 0;
	int i;

	if (!mr || mr->base.fid.fclass != KFI_CLASS_MR || mr->dom != dom ||
	    !test_bit(KFIV_MR_REG, &mr->state) ||
	    !test_bit(KFIV_MR_MAPPED, &mr->state) ||
	    !kfiv_mr_offset(mr, addr, len, &off))
		return false;
	for_each_sg(mr->sgl, sg, mr->dma_nents, i) {
		if (off < seg + sg_dma_len(sg)) {
			*dma = sg_dma_address(sg) + (off - seg);
			return len <= seg + sg_dma_len(sg) - off;
		}
		seg += sg_dma_len(sg);
	}
	return false;
}

/**
 * kfiv_mr_reg() - long-lived registration
 * @kmr: the core's MR, followed by ours
 * @iov: buffers; with remote access, inner ones page aligned (as for
 *	any fast registration) and at most max_fast_reg_page_list_len pages
 *
 * Local access is the PD's local_dma_lkey plus a DMA mapping.  Remote
 * access is a fast registration posted on a connected endpoint of the
 * domain and waited for, so mr->key is valid on return and on every
 * endpoint of the domain.
 *
 * Context: process context; sleeps.
 * Return: 0, -ENOTCONN (remote access, and no endpoint of the domain is
 * connected), -ENODEV, -EINVAL, -ENOMEM, -EIO (the registration failed).
 */
int kfiv_mr_reg(struct kfid_mr *kmr, const struct kfi_iov *iov)
{
	bool remote = kmr->access & (KFI_REMOTE_READ | KFI_REMOTE_WRITE);
	struct kfiv_mr *mr = to_mr(kmr);
	int ret, n;

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
	ret = remote ? kfiv_mr_reg_remote(mr, n) : 0;
	if (!ret)
		ret = kfiv_mr_link(mr);
	if (ret) {
		if (mr->ibmr)
			kfiv_mr_ibmr_free(mr, true);
		kfiv_mr_dma_unmap(mr);
		goto unlock;
	}
	kfiv_mr_reg_done(mr, n);
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
	ret = kfiv_mr_key_add(mr);
	if (ret) {
		kfiv_mr_ibmr_free(mr, false);
		goto unlock;
	}
	ret = kfiv_mr_link(mr);
	if (ret) {
		kfiv_mr_ibmr_free(mr, true);
		goto unlock;
	}
	kmr->desc = mr;
	mutex_unlock(&dom->lock);
	return 0;

unlock:
	mutex_unlock(&dom->lock);
	kfree(mr->sg);
	return ret;
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
 * Return: 0, -EBUSY (still mapped), -EINVAL, -EAGAIN (send queue full),
 * -ENOTCONN, -ENODEV, -EIO (the buffers could not be DMA-mapped).
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
		return n;
	ret = ib_map_mr_sg(mr->ibmr, mr->sgl, n, NULL, PAGE_SIZE);
	if (ret != n) {
		ret = -EINVAL;
		goto unmap;
	}
	ib_update_fast_reg_key(mr->ibmr, ib_inc_rkey(mr->ibmr->rkey));
	ret = kfiv_post_reg(ep, mr, kfiv_mr_ib_access(mr), NULL);
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
		/* Waits for a kfiv_mr_invalidated() that found it. */
		xa_erase_irq(&mr->dom->mr_keys, mr->key_idx);
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
