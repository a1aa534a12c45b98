// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: software RMA for providers without RDMA hardware.
 *
 * A provider that moves RMA payloads itself (over TCP, through shared
 * memory) needs what an RDMA NIC has on board: remote keys, a check of
 * each incoming access, and the registered pages to move bytes into or
 * out of.  See <kfabric/kfi_sw.h> for the key layout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/highmem.h>
#include <linux/wait_bit.h>
#include <kfabric/kfi_sw.h>

#include "kfi_priv.h"

/**
 * kfi_sw_keys_init() - set up a domain's key table
 * @keys: the table
 *
 * Context: any.
 */
void kfi_sw_keys_init(struct kfi_sw_keys *keys)
{
	/* Index 0 never: a zero key means "no key". */
	xa_init_flags(&keys->xa, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	spin_lock_init(&keys->lock);
	spin_lock_init(&keys->atomic_lock);
	keys->gen = 0;
	atomic_set(&keys->revocations, 0);
}
EXPORT_SYMBOL_GPL(kfi_sw_keys_init);

/**
 * kfi_sw_keys_destroy() - tear down a key table
 * @keys: the table; every MR of it closed already
 *
 * Context: process.
 */
void kfi_sw_keys_destroy(struct kfi_sw_keys *keys)
{
	WARN_ON(!xa_empty(&keys->xa));
	xa_destroy(&keys->xa);
}
EXPORT_SYMBOL_GPL(kfi_sw_keys_destroy);

/* A fresh key for slot @index; keys->lock held. */
static u64 kfi_sw_new_key(struct kfi_sw_keys *keys, u32 index)
{
	u64 gen = ++keys->gen & (BIT(KFI_SW_KEY_GEN_BITS) - 1);

	lockdep_assert_held(&keys->lock);
	return (u64)get_random_u32() << 32 |
	       gen << KFI_SW_KEY_INDEX_BITS | index;
}

/* One bio_vec for one kernel-virtual buffer (direct-mapped only). */
static int kfi_sw_kvec_bvec(const struct kvec *kv, struct bio_vec *bv)
{
	void *base = kv->iov_base;

	if (!kv->iov_len)
		return -EINVAL;
	/* vmalloc'ed or stack memory is not one physically contiguous run. */
	if (!virt_addr_valid(base) ||
	    !virt_addr_valid((u8 *)base + kv->iov_len - 1))
		return -EINVAL;
	bv->bv_page = virt_to_page(base);
	bv->bv_offset = offset_in_page(base);
	bv->bv_len = kv->iov_len;
	return 0;
}

/**
 * kfi_sw_iov_bvec() - describe buffers of any form as bio_vecs
 * @iov: kvec, bio_vec or scatterlist buffers
 * @bv: receives one entry per buffer (an entry may span pages)
 * @max: entries @bv holds
 * @len: receives the bytes described
 *
 * Lets a provider keep one representation of a posted operation's
 * buffers, walked later with iov_iter_bvec().  Empty entries are dropped.
 *
 * Context: any; never sleeps.
 * Return: entries filled, or -EINVAL (more than @max, a buffer that is not
 * direct-mapped, a scatterlist shorter than @iov->count).
 */
int kfi_sw_iov_bvec(const struct kfi_iov *iov, struct bio_vec *bv, u32 max,
		    u64 *len)
{
	struct scatterlist *sg = iov->sgl;
	u32 i, n = 0;

	*len = 0;
	for (i = 0; i < iov->count; i++) {
		struct bio_vec b;

		switch (iov->type) {
		case KFI_IOV_KVEC:
			if (!iov->kvec[i].iov_len)
				continue;
			if (kfi_sw_kvec_bvec(&iov->kvec[i], &b))
				return -EINVAL;
			break;
		case KFI_IOV_BVEC:
			b = iov->bvec[i];
			break;
		case KFI_IOV_SGL:
			if (!sg)
				return -EINVAL;
			b.bv_page = sg_page(sg);
			b.bv_offset = sg->offset;
			b.bv_len = sg->length;
			sg = sg_next(sg);
			break;
		default:
			return -EINVAL;
		}
		if (!b.bv_len)
			continue;
		if (n == max || !b.bv_page)
			return -EINVAL;
		bv[n++] = b;
		*len += b.bv_len;
	}
	return n;
}
EXPORT_SYMBOL_GPL(kfi_sw_iov_bvec);

/* Take a slot in @keys for @m (no key yet). */
static int kfi_sw_mr_slot(struct kfi_sw_keys *keys, struct kfi_sw_mr *m,
			  struct kfid_mr *mr)
{
	u32 index;
	int ret;

	m->mr = mr;
	m->keys = keys;
	m->key = 0;
	atomic_set(&m->users, 0);
	m->unmap_pending = false;
	m->revoked = false;
	ret = xa_alloc_irq(&keys->xa, &index, m,
			   XA_LIMIT(1, KFI_SW_KEY_INDEX_MASK), GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;
	m->index = index;
	return 0;
}

/* Publish @bv as @m's pages with a new key; keys->lock held. */
static void kfi_sw_mr_publish(struct kfi_sw_mr *m, u32 nbv, u64 len)
{
	m->nbv = nbv;
	m->mr->len = len;
	m->mr->iova = 0;
	m->key = kfi_sw_new_key(m->keys, m->index);
	m->mr->key = m->key;
}

/**
 * kfi_sw_mr_reg() - register buffers for remote access as long as @mr lives
 * @keys: the domain's table
 * @m: the provider's software MR (zeroed)
 * @mr: the core's MR
 * @iov: the buffers
 *
 * Sets mr->key, mr->iova (0: remote addresses are offsets into the
 * registration) and mr->len.  The key works as soon as this returns.
 *
 * Context: process, may sleep.
 * Return: 0; -EINVAL (a buffer that is not direct-mapped); -ENOMEM;
 * -ENOSPC (the domain's table is full).
 */
int kfi_sw_mr_reg(struct kfi_sw_keys *keys, struct kfi_sw_mr *m,
		  struct kfid_mr *mr, const struct kfi_iov *iov)
{
	unsigned long flags;
	int n, ret;
	u32 count = iov->count;
	u64 len;

	m->bv = kcalloc(max(count, 1U), sizeof(*m->bv), GFP_KERNEL);
	if (!m->bv)
		return -ENOMEM;
	m->max_bv = max(count, 1U);
	n = kfi_sw_iov_bvec(iov, m->bv, m->max_bv, &len);
	ret = n <= 0 ? -EINVAL : kfi_sw_mr_slot(keys, m, mr);
	if (ret) {
		kfree(m->bv);
		m->bv = NULL;
		return ret;
	}
	spin_lock_irqsave(&keys->lock, flags);
	kfi_sw_mr_publish(m, n, len);
	spin_unlock_irqrestore(&keys->lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_reg);

/**
 * kfi_sw_mr_alloc() - prepare an MR for kfi_sw_mr_map()
 * @keys: the domain's table
 * @m: the provider's software MR (zeroed)
 * @mr: the core's MR; mr->max_segs entries are allocated
 *
 * Context: process, may sleep.
 * Return: 0; -ENOMEM; -ENOSPC (the domain's table is full).
 */
int kfi_sw_mr_alloc(struct kfi_sw_keys *keys, struct kfi_sw_mr *m,
		    struct kfid_mr *mr)
{
	int ret;

	m->bv = kcalloc(mr->max_segs, sizeof(*m->bv), GFP_KERNEL);
	if (!m->bv)
		return -ENOMEM;
	m->max_bv = mr->max_segs;
	ret = kfi_sw_mr_slot(keys, m, mr);
	if (ret) {
		kfree(m->bv);
		m->bv = NULL;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_alloc);

/**
 * kfi_sw_mr_map() - map buffers into an allocated MR under a new key
 * @m: from kfi_sw_mr_alloc(), not mapped
 * @iov: at most m->max_bv buffers
 *
 * The key works as soon as this returns.
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0; -EINVAL (too many or not direct-mapped buffers); -EBUSY (an
 * access through the previous mapping is still in progress).
 */
int kfi_sw_mr_map(struct kfi_sw_mr *m, const struct kfi_iov *iov)
{
	unsigned long flags;
	int n, ret = 0;
	u64 len;

	spin_lock_irqsave(&m->keys->lock, flags);
	if (m->key || atomic_read(&m->users)) {
		ret = -EBUSY;
		goto out;
	}
	n = kfi_sw_iov_bvec(iov, m->bv, m->max_bv, &len);
	if (n <= 0) {
		ret = -EINVAL;
		goto out;
	}
	kfi_sw_mr_publish(m, n, len);
out:
	spin_unlock_irqrestore(&m->keys->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_map);

/* The MR whose live key is @key, or NULL; keys->lock held. */
static struct kfi_sw_mr *kfi_sw_key_find(struct kfi_sw_keys *keys, u64 key)
{
	struct kfi_sw_mr *m;

	lockdep_assert_held(&keys->lock);
	if (!key)
		return NULL;
	m = xa_load(&keys->xa, key & KFI_SW_KEY_INDEX_MASK);
	return m && m->key == key ? m : NULL;
}

/*
 * Kill @m's key, counting ourselves as a user so that exactly one put
 * (ours or an access's) sees the count drop to 0; keys->lock held.
 */
static void kfi_sw_mr_kill(struct kfi_sw_mr *m)
{
	lockdep_assert_held(&m->keys->lock);
	m->key = 0;
	WRITE_ONCE(m->unmap_pending, true);
	atomic_inc(&m->users);
}

/**
 * kfi_sw_mr_invalidate() - stop @m's key from working
 * @m: a mapped or registered MR
 *
 * No new access gets through once this returns; accesses in progress
 * finish.  When the last of them ends (or now, if there is none) m->idle
 * is called, if set.
 *
 * Context: any; never sleeps.
 */
void kfi_sw_mr_invalidate(struct kfi_sw_mr *m)
{
	unsigned long flags;

	spin_lock_irqsave(&m->keys->lock, flags);
	kfi_sw_mr_kill(m);
	spin_unlock_irqrestore(&m->keys->lock, flags);
	kfi_sw_mr_put(m);
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_invalidate);

/**
 * kfi_sw_key_invalidate() - invalidate the MR a peer names by its key
 * @keys: the domain's table
 * @key: the key the peer sent (send with invalidate)
 * @mr: receives the MR whose key it was, held: kfi_sw_mr_put() it
 *
 * As kfi_sw_mr_invalidate() for the MR that has @key live now, if it is
 * one of kfi_sw_mr_alloc() (long-lived registrations are not the peer's
 * to end).
 *
 * Context: any; never sleeps.
 * Return: 0, or -EACCES when no such MR has @key live.
 */
int kfi_sw_key_invalidate(struct kfi_sw_keys *keys, u64 key,
			  struct kfi_sw_mr **mr)
{
	struct kfi_sw_mr *m;
	unsigned long flags;
	int ret = -EACCES;

	spin_lock_irqsave(&keys->lock, flags);
	m = kfi_sw_key_find(keys, key);
	if (m && m->mr->max_segs) {
		kfi_sw_mr_kill(m);
		*mr = m;
		ret = 0;
	}
	spin_unlock_irqrestore(&keys->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_sw_key_invalidate);

/**
 * kfi_sw_mr_busy() - accesses through @m in progress
 * @m: the MR
 *
 * Context: any.
 * Return: how many; after kfi_sw_mr_invalidate() it only goes down.
 */
int kfi_sw_mr_busy(const struct kfi_sw_mr *m)
{
	return atomic_read(&m->users);
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_busy);

/**
 * kfi_sw_mr_revoke() - begin closing @m: its key dies, holders are told
 * @m: the MR (from kfi_sw_mr_reg() or kfi_sw_mr_alloc())
 *
 * Sets m->revoked and counts a revocation of the table, then the provider
 * prods whatever may hold @m for long (kfi_sw_mr_revoked()) before it
 * calls kfi_sw_mr_close().  Calling it twice is harmless.
 *
 * Context: process.
 */
void kfi_sw_mr_revoke(struct kfi_sw_mr *m)
{
	unsigned long flags;

	if (!m->bv || READ_ONCE(m->revoked))
		return;
	spin_lock_irqsave(&m->keys->lock, flags);
	m->key = 0;
	WRITE_ONCE(m->unmap_pending, false);
	WRITE_ONCE(m->revoked, true);
	spin_unlock_irqrestore(&m->keys->lock, flags);
	xa_erase_irq(&m->keys->xa, m->index);
	atomic_inc(&m->keys->revocations);
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_revoke);

/**
 * kfi_sw_mr_close() - remove @m from its table and wait for its users
 * @m: the MR (from kfi_sw_mr_reg() or kfi_sw_mr_alloc())
 *
 * Revokes @m if kfi_sw_mr_revoke() was not called.
 *
 * Context: process, may sleep until every access in progress ended.
 */
void kfi_sw_mr_close(struct kfi_sw_mr *m)
{
	if (!m->bv)
		return;
	kfi_sw_mr_revoke(m);
	wait_var_event(&m->users, !atomic_read(&m->users));
	kfree(m->bv);
	m->bv = NULL;
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_close);

/* [@addr, @addr + @len) inside @m, as an offset into it. */
static bool kfi_sw_mr_range(const struct kfi_sw_mr *m, u64 addr, u64 len,
			    u64 *off)
{
	u64 mlen = m->mr->len;

	if (addr < m->mr->iova)
		return false;
	*off = addr - m->mr->iova;
	/* Written so that no sum can wrap. */
	return *off <= mlen && len <= mlen - *off;
}

/**
 * kfi_sw_key_get() - check an incoming remote access and hold its MR
 * @keys: the domain's table
 * @key: the key the peer sent
 * @addr: the remote address the peer sent
 * @len: bytes it wants to access
 * @access: KFI_REMOTE_READ or KFI_REMOTE_WRITE (or both)
 * @mr: receives the MR, held until kfi_sw_mr_put()
 * @off: receives the offset of @addr into the MR
 *
 * Context: any; never sleeps.
 * Return: 0, or -EACCES: no live MR has @key, it lacks @access, or the
 * range is not inside it.  All three look the same to the peer.
 */
int kfi_sw_key_get(struct kfi_sw_keys *keys, u64 key, u64 addr, u64 len,
		   u64 access, struct kfi_sw_mr **mr, u64 *off)
{
	struct kfi_sw_mr *m;
	unsigned long flags;
	int ret = -EACCES;

	spin_lock_irqsave(&keys->lock, flags);
	m = kfi_sw_key_find(keys, key);
	if (m && (m->mr->access & access) == access &&
	    kfi_sw_mr_range(m, addr, len, off)) {
		atomic_inc(&m->users);
		*mr = m;
		ret = 0;
	}
	spin_unlock_irqrestore(&keys->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_sw_key_get);

/**
 * kfi_sw_mr_put() - end an access begun with kfi_sw_key_get()
 * @m: the MR
 *
 * Context: any.
 */
void kfi_sw_mr_put(struct kfi_sw_mr *m)
{
	if (!atomic_dec_and_test(&m->users))
		return;
	if (xchg(&m->unmap_pending, false) && m->idle)
		m->idle(m);
	wake_up_var(&m->users);
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_put);

/**
 * kfi_sw_mr_iter() - an iov_iter over bytes of a held MR
 * @m: held MR
 * @it: receives the iterator
 * @dir: ITER_DEST to write into the MR, ITER_SOURCE to read from it
 * @off: offset into the MR (checked by kfi_sw_key_get())
 * @len: bytes (checked likewise)
 *
 * Context: any.
 */
void kfi_sw_mr_iter(const struct kfi_sw_mr *m, struct iov_iter *it,
		    unsigned int dir, u64 off, size_t len)
{
	iov_iter_bvec(it, dir, m->bv, m->nbv, m->mr->len);
	iov_iter_advance(it, off);
	iov_iter_truncate(it, len);
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_iter);

/* The page and offset of byte @off of @m, or NULL past its end. */
static struct page *kfi_sw_mr_page(const struct kfi_sw_mr *m, u64 off,
				   u32 *poff, u32 *room)
{
	u32 i;

	for (i = 0; i < m->nbv; i++) {
		if (off < m->bv[i].bv_len) {
			u64 at = m->bv[i].bv_offset + off;

			*poff = offset_in_page(at);
			*room = min_t(u64, PAGE_SIZE - *poff,
				      m->bv[i].bv_len - off);
			return m->bv[i].bv_page + (at >> PAGE_SHIFT);
		}
		off -= m->bv[i].bv_len;
	}
	return NULL;
}

/**
 * kfi_sw_mr_atomic() - a 64-bit atomic on a held MR
 * @m: held MR (checked for @off and 8 bytes by kfi_sw_key_get())
 * @off: offset of the target
 * @op: KFI_SUM or KFI_CSWAP
 * @operand: what to add, or to store
 * @compare: what KFI_CSWAP expects
 * @old: receives the value before
 *
 * Atomic against every other software atomic of the domain, not against
 * CPU stores of the owner (as with a NIC's atomics).
 *
 * Context: any; never sleeps.
 * Return: 0; -EACCES when the 8 bytes straddle two pages; -EINVAL (op).
 */
int kfi_sw_mr_atomic(struct kfi_sw_mr *m, u64 off, enum kfi_atomic_op op,
		     u64 operand, u64 compare, u64 *old)
{
	unsigned long flags;
	struct page *page;
	u32 poff, room;
	u64 *p;

	if (op != KFI_SUM && op != KFI_CSWAP)
		return -EINVAL;
	page = kfi_sw_mr_page(m, off, &poff, &room);
	if (!page || room < sizeof(u64) || !IS_ALIGNED(poff, sizeof(u64)))
		return -EACCES;
	spin_lock_irqsave(&m->keys->atomic_lock, flags);
	p = kmap_local_page(page) + poff;
	*old = *p;
	if (op == KFI_SUM)
		*p = *old + operand;
	else if (*old == compare)
		*p = operand;
	kunmap_local(p);
	spin_unlock_irqrestore(&m->keys->atomic_lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_sw_mr_atomic);
