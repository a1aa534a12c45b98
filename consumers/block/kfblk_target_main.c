// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk target: module setup and the configfs control interface.
 *
 *   mkdir /sys/kernel/config/kfblk_target/<name>     (name: [A-Za-z0-9._-]{1,15})
 *   echo /dev/nullb0 > <name>/device_path
 *   echo 192.0.2.1   > <name>/addr
 *   echo 4791        > <name>/port
 *   echo 1           > <name>/enable     (0 disconnects every client)
 *   rmdir <name>
 *
 * Attributes cannot change while the export is enabled.  Bad input is
 * refused with -EINVAL and a message in the kernel log, and changes
 * nothing.  Read-only: connections (live connection count).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "kfblk_target.h"

struct workqueue_struct *kfblk_tgt_wq;
struct workqueue_struct *kfblk_tgt_release_wq;

unsigned int kfblk_tgt_max_io_kb = 1024;
module_param_named(max_io_kb, kfblk_tgt_max_io_kb, uint, 0444);
MODULE_PARM_DESC(max_io_kb, "Largest READ/WRITE in KiB (4-4096, default 1024)");

bool kfblk_tgt_imm_rsp = true;
module_param_named(imm_response, kfblk_tgt_imm_rsp, bool, 0644);
MODULE_PARM_DESC(imm_response, "Answer READs with RMA write immediate data when the client offers it (default on)");

bool kfblk_tgt_inline = true;
module_param_named(inline_write, kfblk_tgt_inline, bool, 0644);
MODULE_PARM_DESC(inline_write, "Take WRITEs of up to a page inline in the command when the client offers it (default on)");

bool kfblk_tgt_direct = true;
module_param_named(direct_submit, kfblk_tgt_direct, bool, 0444);
MODULE_PARM_DESC(direct_submit, "Poll completions from a workqueue and submit READ/WRITE from there (default on)");

/* What a new export allows; see Documentation/kfabric/security.rst. */
static const struct kfblk_export_limits kfblk_default_limits = {
	.max_conns = 64,
	.max_conns_per_peer = 32,
	.max_total_depth = 4096,
	.conn_io_kb = 4096,
	.io_kb = 262144,
	.idle_ms = 5000,
	.peer_timeout_ms = 30000,
};

static struct kfblk_export *to_export(struct config_item *item)
{
	return container_of(to_config_group(item), struct kfblk_export, group);
}

/* Take the lock and refuse changes to an enabled export. */
static int kfblk_export_lock_idle(struct kfblk_export *exp, const char *attr)
{
	mutex_lock(&exp->lock);
	if (exp->enabled) {
		mutex_unlock(&exp->lock);
		pr_err("%s: %s cannot change while enabled\n", exp->name, attr);
		return -EBUSY;
	}
	return 0;
}

static ssize_t kfblk_export_device_path_show(struct config_item *item,
					     char *page)
{
	struct kfblk_export *exp = to_export(item);
	ssize_t n;

	mutex_lock(&exp->lock);
	n = sysfs_emit(page, "%s\n", exp->path);
	mutex_unlock(&exp->lock);
	return n;
}

static ssize_t kfblk_export_device_path_store(struct config_item *item,
					      const char *page, size_t count)
{
	struct kfblk_export *exp = to_export(item);
	size_t len = strcspn(page, "\n");
	int ret;

	if (!len || len >= KFBLK_PATH_MAX || page[0] != '/') {
		pr_err("device_path: need an absolute path shorter than %d bytes\n",
		       KFBLK_PATH_MAX);
		return -EINVAL;
	}
	ret = kfblk_export_lock_idle(exp, "device_path");
	if (ret)
		return ret;
	memcpy(exp->path, page, len);
	exp->path[len] = '\0';
	mutex_unlock(&exp->lock);
	return count;
}

static ssize_t kfblk_export_addr_show(struct config_item *item, char *page)
{
	struct kfblk_export *exp = to_export(item);
	ssize_t n;

	mutex_lock(&exp->lock);
	n = sysfs_emit(page, "%s\n", exp->addr);
	mutex_unlock(&exp->lock);
	return n;
}

/* An IPv4 or IPv6 address, nothing else (no names, no port). */
static bool kfblk_addr_valid(const char *s, size_t len)
{
	u8 buf[16];

	return len && len < KFBLK_ADDR_MAX &&
	       (in4_pton(s, len, buf, -1, NULL) ||
		in6_pton(s, len, buf, -1, NULL));
}

static ssize_t kfblk_export_addr_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct kfblk_export *exp = to_export(item);
	size_t len = strcspn(page, "\n");
	int ret;

	if (!kfblk_addr_valid(page, len)) {
		pr_err("addr: '%.*s' is not an IPv4 or IPv6 address\n",
		       (int)min_t(size_t, len, KFBLK_ADDR_MAX), page);
		return -EINVAL;
	}
	ret = kfblk_export_lock_idle(exp, "addr");
	if (ret)
		return ret;
	memcpy(exp->addr, page, len);
	exp->addr[len] = '\0';
	mutex_unlock(&exp->lock);
	return count;
}

static ssize_t kfblk_export_port_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(to_export(item)->port));
}

static ssize_t kfblk_export_port_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct kfblk_export *exp = to_export(item);
	u16 port;
	int ret;

	if (kstrtou16(page, 0, &port) || !port) {
		pr_err("port: need 1-65535\n");
		return -EINVAL;
	}
	ret = kfblk_export_lock_idle(exp, "port");
	if (ret)
		return ret;
	exp->port = port;
	mutex_unlock(&exp->lock);
	return count;
}

static ssize_t kfblk_export_read_only_show(struct config_item *item,
					   char *page)
{
	return sysfs_emit(page, "%d\n", READ_ONCE(to_export(item)->read_only));
}

static ssize_t kfblk_export_read_only_store(struct config_item *item,
					    const char *page, size_t count)
{
	struct kfblk_export *exp = to_export(item);
	bool ro;
	int ret;

	if (kstrtobool(page, &ro)) {
		pr_err("read_only: need 0 or 1\n");
		return -EINVAL;
	}
	ret = kfblk_export_lock_idle(exp, "read_only");
	if (ret)
		return ret;
	exp->read_only = ro;
	mutex_unlock(&exp->lock);
	return count;
}

static ssize_t kfblk_export_enable_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", READ_ONCE(to_export(item)->enabled));
}

static int kfblk_export_set(struct kfblk_export *exp, bool on)
{
	int ret = 0;

	mutex_lock(&exp->lock);
	if (on == exp->enabled) {
		mutex_unlock(&exp->lock);
		return 0;
	}
	if (on) {
		if (!exp->path[0] || !exp->addr[0] || !exp->port) {
			pr_err("%s: set device_path, addr and port first\n",
			       exp->name);
			ret = -EINVAL;
		} else {
			ret = kfblk_export_enable(exp);
		}
		mutex_unlock(&exp->lock);
		return ret;
	}
	/* New connection requests see this and are turned away. */
	exp->enabled = false;
	mutex_unlock(&exp->lock);
	kfblk_export_disable(exp);
	return 0;
}

static ssize_t kfblk_export_enable_store(struct config_item *item,
					 const char *page, size_t count)
{
	bool on;
	int ret;

	if (kstrtobool(page, &on)) {
		pr_err("enable: need 0 or 1\n");
		return -EINVAL;
	}
	ret = kfblk_export_set(to_export(item), on);
	return ret ? ret : count;
}

static ssize_t kfblk_export_connections_show(struct config_item *item,
					     char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(to_export(item)->nr_conns));
}

/*
 * The limits (Documentation/kfabric/security.rst): unsigned integers
 * within a range, changed only while the export is disabled.
 */
static ssize_t kfblk_limit_show(struct config_item *item, char *page,
				size_t off)
{
	struct kfblk_export *exp = to_export(item);
	u32 v;

	mutex_lock(&exp->lock);
	v = *(u32 *)((char *)&exp->lim + off);
	mutex_unlock(&exp->lock);
	return sysfs_emit(page, "%u\n", v);
}

static ssize_t kfblk_limit_store(struct config_item *item, const char *page,
				 size_t count, const char *name, size_t off,
				 u32 min, u32 max)
{
	struct kfblk_export *exp = to_export(item);
	u32 v;
	int ret;

	if (kstrtou32(page, 0, &v) || v < min || v > max) {
		pr_err("%s: need %u-%u\n", name, min, max);
		return -EINVAL;
	}
	ret = kfblk_export_lock_idle(exp, name);
	if (ret)
		return ret;
	*(u32 *)((char *)&exp->lim + off) = v;
	mutex_unlock(&exp->lock);
	return count;
}

#define KFBLK_LIMIT_ATTR(name, field, min, max)				\
static const size_t kfblk_off_##name =					\
	offsetof(struct kfblk_export_limits, field);			\
static ssize_t kfblk_export_##name##_show(struct config_item *item,	\
					  char *page)			\
{									\
	return kfblk_limit_show(item, page, kfblk_off_##name);		\
}									\
static ssize_t kfblk_export_##name##_store(struct config_item *item,	\
					   const char *page, size_t count) \
{									\
	return kfblk_limit_store(item, page, count, #name,		\
				 kfblk_off_##name, min, max);		\
}									\
CONFIGFS_ATTR(kfblk_export_, name)

KFBLK_LIMIT_ATTR(max_connections, max_conns, 1, 4096);
KFBLK_LIMIT_ATTR(max_connections_per_peer, max_conns_per_peer, 1, 4096);
KFBLK_LIMIT_ATTR(max_queue_depth, max_depth, 1, KFBLK_MAX_QUEUE_DEPTH);
KFBLK_LIMIT_ATTR(max_total_depth, max_total_depth, 1, 1U << 20);
KFBLK_LIMIT_ATTR(max_conn_memory_kb, conn_io_kb, 64, 1U << 22);
KFBLK_LIMIT_ATTR(max_memory_kb, io_kb, 64, 1U << 30);
KFBLK_LIMIT_ATTR(idle_ms, idle_ms, 100, 3600000);
KFBLK_LIMIT_ATTR(peer_timeout_ms, peer_timeout_ms, 100, 3600000);

static ssize_t kfblk_export_memory_kb_show(struct config_item *item,
					   char *page)
{
	long pages = atomic_long_read(&to_export(item)->pages);

	return sysfs_emit(page, "%ld\n", pages << (PAGE_SHIFT - 10));
}

CONFIGFS_ATTR_RO(kfblk_export_, memory_kb);
CONFIGFS_ATTR(kfblk_export_, device_path);
CONFIGFS_ATTR(kfblk_export_, addr);
CONFIGFS_ATTR(kfblk_export_, port);
CONFIGFS_ATTR(kfblk_export_, read_only);
CONFIGFS_ATTR(kfblk_export_, enable);
CONFIGFS_ATTR_RO(kfblk_export_, connections);

static struct configfs_attribute *kfblk_export_attrs[] = {
	&kfblk_export_attr_device_path,
	&kfblk_export_attr_addr,
	&kfblk_export_attr_port,
	&kfblk_export_attr_read_only,
	&kfblk_export_attr_enable,
	&kfblk_export_attr_connections,
	&kfblk_export_attr_max_connections,
	&kfblk_export_attr_max_connections_per_peer,
	&kfblk_export_attr_max_queue_depth,
	&kfblk_export_attr_max_total_depth,
	&kfblk_export_attr_max_conn_memory_kb,
	&kfblk_export_attr_max_memory_kb,
	&kfblk_export_attr_idle_ms,
	&kfblk_export_attr_peer_timeout_ms,
	&kfblk_export_attr_memory_kb,
	NULL,
};

static void kfblk_export_release(struct config_item *item)
{
	kfree(to_export(item));
}

static struct configfs_item_operations kfblk_export_item_ops = {
	.release = kfblk_export_release,
};

static const struct config_item_type kfblk_export_type = {
	.ct_item_ops = &kfblk_export_item_ops,
	.ct_attrs = kfblk_export_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *kfblk_export_make(struct config_group *group,
					      const char *name)
{
	struct kfblk_export *exp;

	if (kfblk_export_name_valid(name, strlen(name) + 1) < 0) {
		pr_err("export name '%s': need 1-%d of [A-Za-z0-9._-]\n",
		       name, KFBLK_EXPORT_NAME_LEN - 1);
		return ERR_PTR(-EINVAL);
	}
	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return ERR_PTR(-ENOMEM);
	mutex_init(&exp->lock);
	strscpy(exp->name, name, sizeof(exp->name));
	exp->lim = kfblk_default_limits;
	exp->lim.max_depth = clamp(kfblk_tgt_max_depth, 1U,
				   (unsigned int)KFBLK_MAX_QUEUE_DEPTH);
	INIT_LIST_HEAD(&exp->conns);
	init_waitqueue_head(&exp->conns_wait);
	config_group_init_type_name(&exp->group, name, &kfblk_export_type);
	return &exp->group;
}

static void kfblk_export_drop(struct config_group *group,
			      struct config_item *item)
{
	kfblk_export_set(to_export(item), false);
	config_item_put(item);
}

static struct configfs_group_operations kfblk_tgt_group_ops = {
	.make_group = kfblk_export_make,
	.drop_item = kfblk_export_drop,
};

static const struct config_item_type kfblk_tgt_root_type = {
	.ct_group_ops = &kfblk_tgt_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem kfblk_tgt_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "kfblk_target",
			.ci_type = &kfblk_tgt_root_type,
		},
	},
};

static int __init kfblk_target_init(void)
{
	int ret;

	if (kfblk_tgt_max_io_kb < 4 || kfblk_tgt_max_io_kb > KFBLK_MAX_IO >> 10) {
		pr_err("max_io_kb must be 4-%u\n", KFBLK_MAX_IO >> 10);
		return -EINVAL;
	}
	/*
	 * Submits bios for block devices, possibly under memory pressure.
	 * Per-CPU: a connection's I/O work runs where its completions came in.
	 */
	kfblk_tgt_wq = alloc_workqueue("kfblk_target",
				       WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_PERCPU,
				       0);
	if (!kfblk_tgt_wq)
		return -ENOMEM;
	/* Teardowns wait for work on kfblk_tgt_wq: they cannot run there. */
	kfblk_tgt_release_wq = alloc_workqueue("kfblk_target_release",
					       WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!kfblk_tgt_release_wq) {
		destroy_workqueue(kfblk_tgt_wq);
		return -ENOMEM;
	}
	config_group_init(&kfblk_tgt_subsys.su_group);
	mutex_init(&kfblk_tgt_subsys.su_mutex);
	ret = configfs_register_subsystem(&kfblk_tgt_subsys);
	if (ret)
		goto destroy_wq;
	return 0;

destroy_wq:
	destroy_workqueue(kfblk_tgt_release_wq);
	destroy_workqueue(kfblk_tgt_wq);
	return ret;
}

static void __exit kfblk_target_exit(void)
{
	configfs_unregister_subsystem(&kfblk_tgt_subsys);
	destroy_workqueue(kfblk_tgt_release_wq);
	destroy_workqueue(kfblk_tgt_wq);
}

module_init(kfblk_target_init);
module_exit(kfblk_target_exit);

MODULE_DESCRIPTION("kfblk target: block devices exported over kfabric");
MODULE_LICENSE("GPL");
