// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: object lifetime.
 *
 * Every object is allocated here with the provider's size, pins the
 * provider's module, holds a reference on its parent and counts as one of
 * the parent's children.  kfi_close() drops the object's own reference;
 * the release undoes everything kfid_alloc() did, in reverse.  Closing
 * never fails: misuse (children still open) is warned about and leaks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/module.h>
#include <linux/percpu.h>

#include "kfi_priv.h"

/*
 * Guards every provider's kfi_provider.objects list.  Objects are added
 * and removed in process context (open, close) and listed by debugfs.
 */
DEFINE_MUTEX(kfi_objects_mutex);

static const char * const kfid_class_names[KFI_CLASS_MAX] = {
	[KFI_CLASS_UNSPEC] = "unspec",
	[KFI_CLASS_FABRIC] = "fabric",
	[KFI_CLASS_DOMAIN] = "domain",
	[KFI_CLASS_PEP] = "pep",
	[KFI_CLASS_EP] = "ep",
	[KFI_CLASS_CQ] = "cq",
	[KFI_CLASS_EQ] = "eq",
	[KFI_CLASS_MR] = "mr",
	[KFI_CLASS_SRX_CTX] = "srx",
	[KFI_CLASS_AV] = "av",
	[KFI_CLASS_CNTR] = "cntr",
};

const char *kfid_class_name(enum kfi_fclass fclass)
{
	if (fclass >= KFI_CLASS_MAX)
		return "?";
	return kfid_class_names[fclass];
}

/**
 * kfid_child_get() - count a new child of @parent and reference it
 * @parent: object being opened on or bound to
 *
 * Context: any.
 * Return: 0, or -EINVAL if @parent is being closed.
 */
int kfid_child_get(struct kfid *parent)
{
	/* kfid_close_begin() parks children at -1 while closing. */
	if (!atomic_inc_unless_negative(&parent->children))
		return -EINVAL;
	kref_get(&parent->ref);
	return 0;
}

/**
 * kfid_child_put() - undo kfid_child_get()
 * @parent: the object
 *
 * Context: process context (may free @parent).
 */
void kfid_child_put(struct kfid *parent)
{
	atomic_dec(&parent->children);
	kfid_put(parent);
}

/* Where an object of @fclass keeps its counters, if it has any. */
static struct kfi_stats __percpu **kfid_stats(struct kfid *fid,
					      enum kfi_fclass fclass)
{
	switch (fclass) {
	case KFI_CLASS_EP:
	case KFI_CLASS_SRX_CTX:
		return &container_of(fid, struct kfid_ep, fid)->stats;
	case KFI_CLASS_CQ:
		return &container_of(fid, struct kfid_cq, fid)->stats;
	default:
		return NULL;
	}
}

/*
 * Allocated before the object is listed, so debugfs never finds an
 * endpoint or CQ without its counters.
 */
static int kfid_alloc_stats(struct kfid *fid, enum kfi_fclass fclass)
{
	struct kfi_stats __percpu **stats = kfid_stats(fid, fclass);

	if (!stats)
		return 0;
	*stats = alloc_percpu(struct kfi_stats);
	return *stats ? 0 : -ENOMEM;
}

static void kfid_free_stats(struct kfid *fid, enum kfi_fclass fclass)
{
	struct kfi_stats __percpu **stats = kfid_stats(fid, fclass);

	if (stats)
		free_percpu(*stats);
}

/**
 * kfi_stats_read() - one counter of an endpoint or CQ, summed over CPUs
 * @stats: the object's counters (kfid_ep.stats, kfid_cq.stats)
 * @stat: which
 *
 * The sum is taken without stopping traffic: increments on other CPUs
 * meanwhile may or may not be in it (and, on a 32-bit kernel, one being
 * made may be read torn: the counters are diagnostics).
 *
 * Context: any; never sleeps.
 * Return: the counter's value since the object was opened.
 */
u64 kfi_stats_read(const struct kfi_stats __percpu *stats,
		   enum kfi_stat stat)
{
	u64 n = 0;
	int cpu;

	if (WARN_ON_ONCE(stat >= KFI_STAT_NR))
		return 0;
	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(stats, cpu)->n[stat]);
	return n;
}
EXPORT_SYMBOL_GPL(kfi_stats_read);

/**
 * kfid_alloc() - allocate and link a new object
 * @prov: provider implementing it
 * @size: bytes to allocate (the provider's structure)
 * @fclass: class
 * @parent: object it is opened on, or NULL for a fabric
 * @context: the consumer's pointer
 *
 * An endpoint, shared receive context or CQ gets its per-CPU counters
 * (struct kfi_stats) here; the release frees them.
 *
 * Context: process context, may sleep.
 * Return: the zeroed object with one reference, or an ERR_PTR.
 */
void *kfid_alloc(struct kfi_provider *prov, size_t size,
		 enum kfi_fclass fclass, struct kfid *parent, void *context)
{
	struct kfid *fid;
	int ret;

	if (!try_module_get(prov->owner))
		return ERR_PTR(-ENODEV);

	fid = kzalloc(size, GFP_KERNEL);
	if (!fid) {
		ret = -ENOMEM;
		goto put_module;
	}
	ret = kfid_alloc_stats(fid, fclass);
	if (ret)
		goto free_fid;
	if (parent) {
		ret = kfid_child_get(parent);
		if (ret)
			goto free_stats;
	}
	fid->fclass = fclass;
	fid->context = context;
	fid->parent = parent;
	fid->prov = prov;
	kref_init(&fid->ref);
	atomic_set(&fid->children, 0);

	mutex_lock(&kfi_objects_mutex);
	list_add_tail(&fid->list, &prov->objects);
	mutex_unlock(&kfi_objects_mutex);
	return fid;

free_stats:
	kfid_free_stats(fid, fclass);
free_fid:
	kfree(fid);
put_module:
	module_put(prov->owner);
	return ERR_PTR(ret);
}

static void kfid_release(struct kref *ref)
{
	struct kfid *fid = container_of(ref, struct kfid, ref);
	struct kfi_provider *prov = fid->prov;
	struct kfid *parent = fid->parent;

	mutex_lock(&kfi_objects_mutex);
	list_del(&fid->list);
	mutex_unlock(&kfi_objects_mutex);

	if (fid->fclass == KFI_CLASS_EQ)
		kfi_eq_release(container_of(fid, struct kfid_eq, fid));
	kfid_free_stats(fid, fid->fclass);
	fid->fclass = KFI_CLASS_UNSPEC;
	kfree(fid);
	if (parent)
		kfid_child_put(parent);
	module_put(prov->owner);
}

/**
 * kfid_put() - drop a reference; the last one frees the object
 * @fid: object
 *
 * Context: process context.
 */
void kfid_put(struct kfid *fid)
{
	kref_put(&fid->ref, kfid_release);
}

/**
 * kfid_close_begin() - refuse further children, or fail if there are some
 * @fid: object being closed
 *
 * Context: any.
 * Return: 0, or -EBUSY if @fid has live children (nothing changed).
 */
int kfid_close_begin(struct kfid *fid)
{
	if (atomic_cmpxchg(&fid->children, 0, -1) != 0)
		return -EBUSY;
	return 0;
}

/* Only these classes have objects; AV and CNTR are reserved names. */
static bool kfid_class_closable(enum kfi_fclass fclass)
{
	return fclass > KFI_CLASS_UNSPEC && fclass < KFI_CLASS_AV;
}

static void kfi_domain_close(struct kfid_domain *domain)
{
	domain->fid.prov->ops->domain_close(domain);
	kfid_put(&domain->fid);
}

/**
 * kfi_close() - close any kfabric object
 * @fid: the object's kfid (&ep->fid, &cq->fid, ...), or NULL
 *
 * Closing cannot fail, as freeing cannot.  Close children first: an
 * endpoint before the CQs, EQ and shared receive context bound to it and
 * before its domain, MRs, CQs, shared receive contexts and endpoints
 * before their domain, the domain, EQs and passive
 * endpoints before their fabric.  Closing an object that still has
 * children, or something that is not a kfabric object, is a bug in the
 * caller: it is reported once with a warning and the object is left open
 * (leaked, never freed under its children).  NULL is ignored.
 *
 * Closing an endpoint stops it (posts get -ENOTCONN), moves its queues to
 * error and waits, without a time limit, until the device has returned
 * every operation posted on it; each is completed with -ECANCELED (or
 * its real status, if it finished first).  Those completions are
 * delivered before kfi_close() returns, so their contexts may be freed
 * right after; on a KFI_POLL_DIRECT CQ kfi_close() polls the CQ itself
 * for them (serialised with the consumer's kfi_cq_poll()).  Events of a
 * closed endpoint or passive endpoint still queued on its EQ are dropped,
 * and an EQ handler running one is waited for, unless kfi_close() is
 * called from that very handler, which is allowed.
 *
 * Context: process context, may sleep.  An endpoint or passive endpoint
 * may be closed from its EQ's handler; the EQ itself may not.
 */
void kfi_close(struct kfid *fid)
{
	if (!fid)
		return;
	if (WARN_ONCE(!kfid_class_closable(fid->fclass),
		      "kfabric: %s() of an unknown object (class %d)\n",
		      __func__, fid->fclass))
		return;
	if (WARN_ONCE(kfid_close_begin(fid),
		      "kfabric: %s() of a %s with %d children: left open\n",
		      __func__, kfid_class_name(fid->fclass),
		      atomic_read(&fid->children)))
		return;

	switch (fid->fclass) {
	case KFI_CLASS_FABRIC:
		kfid_put(fid);
		break;
	case KFI_CLASS_DOMAIN:
		kfi_domain_close(container_of(fid, struct kfid_domain, fid));
		break;
	case KFI_CLASS_PEP:
		kfi_pep_close(container_of(fid, struct kfid_pep, fid));
		break;
	case KFI_CLASS_EP:
		kfi_ep_close(container_of(fid, struct kfid_ep, fid));
		break;
	case KFI_CLASS_CQ:
		kfi_cq_close(container_of(fid, struct kfid_cq, fid));
		break;
	case KFI_CLASS_EQ:
		kfi_eq_close(container_of(fid, struct kfid_eq, fid));
		break;
	case KFI_CLASS_MR:
		kfi_mr_close(container_of(fid, struct kfid_mr, fid));
		break;
	case KFI_CLASS_SRX_CTX:
		kfi_srx_close(container_of(fid, struct kfid_ep, fid));
		break;
	default:
		break;
	}
}
EXPORT_SYMBOL_GPL(kfi_close);
