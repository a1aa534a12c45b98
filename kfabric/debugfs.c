// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: /sys/kernel/debug/kfabric/
 *
 *   format_version      the version of the record format below ("1")
 *   providers           one record per registered provider
 *   domains             one record per domain kfi_getinfo() finds, with
 *                       its limits
 *   objects             every live object of every provider
 *   <provider>/objects  the live objects of one provider
 *
 * kfi_info (tools/kfi_info/) reads these files, so their form is an
 * interface, described in Documentation/kfabric/kfi_info.rst: one record
 * per line, a record kind, then space-separated key=value fields.  Within
 * one format version fields are only ever added (at the end of a record)
 * and never renamed, removed or given another meaning; readers ignore
 * fields and record kinds they do not know.  Anything else bumps
 * KFI_DEBUGFS_FORMAT.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "kfi_priv.h"

#define KFI_DEBUGFS_FORMAT	1

static struct dentry *kfi_debugfs_root;

/*
 * Names come from providers and consumers; octal-escape what would split
 * a field (blanks, '=', '\\') or is not printable, as /proc/mounts does.
 */
static void kfi_show_name(struct seq_file *m, const char *key, const char *s)
{
	seq_printf(m, " %s=", key);
	if (!*s)
		seq_putc(m, '-');
	for (; *s; s++) {
		unsigned char c = *s;

		if (isgraph(c) && c != '=' && c != '\\')
			seq_putc(m, c);
		else
			seq_printf(m, "\\%03o", c);
	}
}

static int kfi_format_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%d\n", KFI_DEBUGFS_FORMAT);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_format);

static unsigned int kfi_count_objects(struct kfi_provider *prov)
{
	unsigned int n = 0;
	struct list_head *pos;

	mutex_lock(&kfi_objects_mutex);
	list_for_each(pos, &prov->objects)
		n++;
	mutex_unlock(&kfi_objects_mutex);
	return n;
}

static int kfi_providers_show(struct seq_file *m, void *unused)
{
	struct kfi_provider *prov;

	down_read(&kfi_registry_rwsem);
	list_for_each_entry(prov, &kfi_providers, list) {
		seq_puts(m, "provider");
		kfi_show_name(m, "name", prov->name);
		/* Both versions are KFI_VERSION(major, minor) values. */
		seq_printf(m, " version=%u.%u api=%u.%u objects=%u\n",
			   KFI_MAJOR(prov->version), KFI_MINOR(prov->version),
			   KFI_MAJOR(prov->api_version),
			   KFI_MINOR(prov->api_version),
			   kfi_count_objects(prov));
	}
	up_read(&kfi_registry_rwsem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_providers);

static const char *kfi_ep_type_name(enum kfi_ep_type type)
{
	switch (type) {
	case KFI_EP_MSG:
		return "msg";
	case KFI_EP_RDM:
		return "rdm";
	default:
		return "unspec";
	}
}

static void kfi_show_domain_attr(struct seq_file *m,
				 const struct kfi_domain_attr *d)
{
	seq_printf(m, " port=%u cq_cnt=%u ep_cnt=%u mr_cnt=%u cq_size=%u",
		   d->port, d->cq_cnt, d->ep_cnt, d->mr_cnt, d->cq_size);
	seq_printf(m, " mr_key_size=%u max_mr_segs=%u cq_data_size=%u max_mr_size=%llu",
		   d->mr_key_size, d->max_mr_segs, d->cq_data_size,
		   d->max_mr_size);
}

static void kfi_show_info(struct seq_file *m, const struct kfi_info *fi)
{
	seq_puts(m, "domain");
	kfi_show_name(m, "provider", fi->fabric_attr.prov_name);
	kfi_show_name(m, "fabric", fi->fabric_attr.name);
	kfi_show_name(m, "name", fi->domain_attr.name);
	kfi_show_domain_attr(m, &fi->domain_attr);
	seq_printf(m, " caps=0x%llx ep_type=%s max_msg_size=%llu cm_data_size=%u max_rd_atomic=%u",
		   fi->caps, kfi_ep_type_name(fi->ep_attr.type),
		   fi->ep_attr.max_msg_size, fi->ep_attr.cm_data_size,
		   fi->ep_attr.max_rd_atomic);
	seq_printf(m, " tx_size=%u tx_iov_limit=%u rma_iov_limit=%u inject_size=%u rx_size=%u rx_iov_limit=%u comp_order=%s\n",
		   fi->tx_attr.size, fi->tx_attr.iov_limit,
		   fi->tx_attr.rma_iov_limit, fi->tx_attr.inject_size,
		   fi->rx_attr.size, fi->rx_attr.iov_limit,
		   fi->tx_attr.comp_order & KFI_ORDER_STRICT ? "strict" :
							       "none");
}

/* What a consumer's kfi_getinfo() without hints would be offered. */
static int kfi_domains_show(struct seq_file *m, void *unused)
{
	struct kfi_info *list, *fi;
	int ret;

	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  NULL, NULL, 0, NULL, &list);
	if (ret == -ENODATA)
		return 0;
	if (ret)
		return ret;
	for (fi = list; fi; fi = fi->next)
		kfi_show_info(m, fi);
	kfi_freeinfo(list);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_domains);

static void kfi_show_stats(struct seq_file *m,
			   const struct kfi_stats __percpu *s)
{
	seq_printf(m, " posted=%llu completed=%llu errors=%llu eagain=%llu",
		   kfi_stats_read(s, KFI_STAT_POSTED),
		   kfi_stats_read(s, KFI_STAT_COMPLETED),
		   kfi_stats_read(s, KFI_STAT_ERRORS),
		   kfi_stats_read(s, KFI_STAT_EAGAIN));
}

/* An object's id is its hashed address: the same as the tracepoints print. */
static void kfi_show_ref(struct seq_file *m, const char *key, const void *p)
{
	if (p)
		seq_printf(m, " %s=%p", key, p);
	else
		seq_printf(m, " %s=-", key);
}

static void kfi_show_ep(struct seq_file *m, struct kfid_ep *ep)
{
	kfi_show_ref(m, "tx_cq", READ_ONCE(ep->tx_cq));
	kfi_show_ref(m, "rx_cq", READ_ONCE(ep->rx_cq));
	kfi_show_ref(m, "eq", READ_ONCE(ep->eq));
	seq_printf(m, " state=%s", kfi_ep_state_name(READ_ONCE(ep->state)));
	kfi_show_stats(m, ep->stats);
	seq_printf(m, " credits=%d grant=%d reserve=%u", kfi_ep_credits(ep),
		   atomic_read(&ep->credits.grant), ep->credits.reserve);
}

static const char *kfi_poll_ctx_name(enum kfi_poll_ctx ctx)
{
	switch (ctx) {
	case KFI_POLL_SOFTIRQ:
		return "softirq";
	case KFI_POLL_WORKQUEUE:
		return "workqueue";
	case KFI_POLL_DIRECT:
		return "direct";
	default:
		return "?";
	}
}

static void kfi_show_cq(struct seq_file *m, struct kfid_cq *cq)
{
	seq_printf(m, " size=%u poll=%s", cq->attr.size,
		   kfi_poll_ctx_name(cq->attr.poll_ctx));
	kfi_show_stats(m, cq->stats);
	seq_printf(m, " queued=%u pending=%u",
		   READ_ONCE(cq->tail) - READ_ONCE(cq->head),
		   READ_ONCE(cq->pend_tail) - READ_ONCE(cq->pend_head));
}

static void kfi_show_eq(struct seq_file *m, struct kfid_eq *eq)
{
	seq_printf(m, " size=%u queued=%u", eq->attr.size,
		   READ_ONCE(eq->nr_events));
}

static void kfi_show_domain(struct seq_file *m, struct kfid_domain *d)
{
	kfi_show_name(m, "name", d->attr.name);
	seq_printf(m, " port=%u", d->attr.port);
}

static void kfi_show_mr(struct seq_file *m, struct kfid_mr *mr)
{
	seq_printf(m, " access=0x%llx len=%llu max_segs=%u mapped=%d",
		   mr->access, READ_ONCE(mr->len), mr->max_segs,
		   READ_ONCE(mr->mapped));
}

static void kfi_show_class(struct seq_file *m, struct kfid *fid)
{
	switch (fid->fclass) {
	case KFI_CLASS_DOMAIN:
		kfi_show_domain(m, container_of(fid, struct kfid_domain, fid));
		break;
	case KFI_CLASS_EP:
		kfi_show_ep(m, container_of(fid, struct kfid_ep, fid));
		break;
	case KFI_CLASS_CQ:
		kfi_show_cq(m, container_of(fid, struct kfid_cq, fid));
		break;
	case KFI_CLASS_EQ:
		kfi_show_eq(m, container_of(fid, struct kfid_eq, fid));
		break;
	case KFI_CLASS_MR:
		kfi_show_mr(m, container_of(fid, struct kfid_mr, fid));
		break;
	default:
		break;
	}
}

static void kfi_show_object(struct seq_file *m, struct kfid *fid)
{
	seq_printf(m, "%s id=%p", kfid_class_name(fid->fclass), fid);
	kfi_show_name(m, "provider", fid->prov->name);
	kfi_show_ref(m, "parent", fid->parent);
	seq_printf(m, " refs=%u children=%d", kref_read(&fid->ref),
		   atomic_read(&fid->children));
	kfi_show_class(m, fid);
	seq_putc(m, '\n');
}

static void kfi_show_objects(struct seq_file *m, struct kfi_provider *prov)
{
	struct kfid *fid;

	mutex_lock(&kfi_objects_mutex);
	list_for_each_entry(fid, &prov->objects, list)
		kfi_show_object(m, fid);
	mutex_unlock(&kfi_objects_mutex);
}

static int kfi_objects_show(struct seq_file *m, void *unused)
{
	kfi_show_objects(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_objects);

static int kfi_all_objects_show(struct seq_file *m, void *unused)
{
	struct kfi_provider *prov;

	down_read(&kfi_registry_rwsem);
	list_for_each_entry(prov, &kfi_providers, list)
		kfi_show_objects(m, prov);
	up_read(&kfi_registry_rwsem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_all_objects);

void kfi_debugfs_add_provider(struct kfi_provider *prov)
{
	lockdep_assert_held(&kfi_registry_rwsem);
	prov->dir = debugfs_create_dir(prov->name, kfi_debugfs_root);
	debugfs_create_file("objects", 0400, prov->dir, prov,
			    &kfi_objects_fops);
}

void kfi_debugfs_remove_provider(struct kfi_provider *prov)
{
	lockdep_assert_held(&kfi_registry_rwsem);
	debugfs_remove_recursive(prov->dir);
	prov->dir = NULL;
}

void kfi_debugfs_init(void)
{
	kfi_debugfs_root = debugfs_create_dir("kfabric", NULL);
	debugfs_create_file("format_version", 0444, kfi_debugfs_root, NULL,
			    &kfi_format_fops);
	debugfs_create_file("providers", 0400, kfi_debugfs_root, NULL,
			    &kfi_providers_fops);
	debugfs_create_file("domains", 0400, kfi_debugfs_root, NULL,
			    &kfi_domains_fops);
	debugfs_create_file("objects", 0400, kfi_debugfs_root, NULL,
			    &kfi_all_objects_fops);
}

/* The core's directory, for the sessions' (sess.c). */
struct dentry *kfi_debugfs_dir(void)
{
	return kfi_debugfs_root;
}

void kfi_debugfs_exit(void)
{
	debugfs_remove_recursive(kfi_debugfs_root);
}
