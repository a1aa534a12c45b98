// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: /sys/kernel/debug/kfabric/
 *
 *   providers           one line per registered provider
 *   <provider>/objects  its live objects: class, state and counters
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "kfi_priv.h"

static struct dentry *kfi_debugfs_root;

static int kfi_providers_show(struct seq_file *m, void *unused)
{
	struct kfi_provider *prov;

	down_read(&kfi_registry_rwsem);
	list_for_each_entry(prov, &kfi_providers, list)
		seq_printf(m, "%s version %u api %u.%u\n", prov->name,
			   prov->version, KFI_MAJOR(prov->api_version),
			   KFI_MINOR(prov->api_version));
	up_read(&kfi_registry_rwsem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_providers);

static void kfi_show_stats(struct seq_file *m, const struct kfi_stats *s)
{
	seq_printf(m, " posted %lld completed %lld errors %lld eagain %lld",
		   atomic64_read(&s->posted), atomic64_read(&s->completed),
		   atomic64_read(&s->errors), atomic64_read(&s->eagain));
}

static void kfi_show_object(struct seq_file *m, struct kfid *fid)
{
	seq_printf(m, "%s %p refs %u children %d",
		   kfid_class_name(fid->fclass), fid,
		   kref_read(&fid->ref), atomic_read(&fid->children));

	if (fid->fclass == KFI_CLASS_EP) {
		struct kfid_ep *ep = container_of(fid, struct kfid_ep, fid);

		seq_printf(m, " state %s",
			   kfi_ep_state_name(READ_ONCE(ep->state)));
		kfi_show_stats(m, &ep->stats);
		seq_printf(m, " credits %d grant %d reserve %u",
			   kfi_ep_credits(ep), atomic_read(&ep->credits.grant),
			   ep->credits.reserve);
	} else if (fid->fclass == KFI_CLASS_CQ) {
		struct kfid_cq *cq = container_of(fid, struct kfid_cq, fid);

		seq_printf(m, " size %u", cq->attr.size);
		kfi_show_stats(m, &cq->stats);
		seq_printf(m, " queued %u pending %u",
			   READ_ONCE(cq->tail) - READ_ONCE(cq->head),
			   READ_ONCE(cq->pend_tail) - READ_ONCE(cq->pend_head));
	}
	seq_putc(m, '\n');
}

static int kfi_objects_show(struct seq_file *m, void *unused)
{
	struct kfi_provider *prov = m->private;
	struct kfid *fid;

	mutex_lock(&kfi_objects_mutex);
	list_for_each_entry(fid, &prov->objects, list)
		kfi_show_object(m, fid);
	mutex_unlock(&kfi_objects_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_objects);

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
	debugfs_create_file("providers", 0400, kfi_debugfs_root, NULL,
			    &kfi_providers_fops);
}

void kfi_debugfs_exit(void)
{
	debugfs_remove_recursive(kfi_debugfs_root);
}
