// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv target: module setup and the configfs control interface.
 *
 *   mkdir /sys/kernel/config/kfkv_target/<name>    (name: [A-Za-z0-9._-]{1,31})
 *   echo mem > <name>/backend          (or dir, with <name>/path a directory)
 *   echo 65536 > <name>/capacity_kb    (mem: values, keys and bookkeeping)
 *   echo 1024 > <name>/max_value_kb
 *   echo 192.0.2.1 > <name>/addr
 *   echo 4792 > <name>/port
 *   cat key > <name>/secret            (16-64 bytes; write-only; "" clears)
 *   echo 1 > <name>/enable             (0 disconnects every client)
 *   rmdir <name>                       (a mem store's objects go with it)
 *
 * Attributes cannot change while the store is enabled (-EBUSY).  Bad input
 * is refused with -EINVAL and a message in the kernel log, and changes
 * nothing.  Read-only: connections, objects, used_kb.  Write-only: secret
 * (with one, a client is served only after the AUTH exchange of
 * Documentation/kfabric/kfkv-protocol.rst).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/inet.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include "kfkv_auth.h"
#include "kfkv_target.h"

struct workqueue_struct *kfkv_tgt_wq;
struct workqueue_struct *kfkv_tgt_release_wq;

/* What a new store allows; see Documentation/kfabric/kfkv.rst. */
static const struct kfkv_store_limits kfkv_default_limits = {
	.max_conns = 64,
	.max_conns_per_peer = 32,
	.max_depth = 32,
	.io_kb = 262144,
	.peer_timeout_ms = 30000,
	.max_objects = BIT(20),
};

#define KFKV_DEFAULT_CAPACITY	SZ_64M
#define KFKV_DEFAULT_MAX_VALUE	SZ_1M

static struct kfkv_store *to_store(struct config_item *item)
{
	return container_of(to_config_group(item), struct kfkv_store, group);
}

/*
 * Take the lock and refuse changes to an enabled store.  Configuring a
 * store, like creating and exporting one, needs CAP_SYS_ADMIN, whoever
 * may write the file.
 */
static int kfkv_store_lock_idle(struct kfkv_store *st, const char *attr)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&st->lock);
	/* Still stopping (a listener left): connections may read it. */
	if (st->enabled || st->pep) {
		mutex_unlock(&st->lock);
		pr_err("%s: %s cannot change while enabled\n", st->name, attr);
		return -EBUSY;
	}
	return 0;
}

/* A string attribute: @len bytes of @page into @dst, if @valid. */
static ssize_t kfkv_store_str(struct kfkv_store *st, const char *attr,
			      char *dst, size_t size, const char *page,
			      size_t count, bool valid)
{
	size_t len = strcspn(page, "\n");
	int ret;

	if (!valid || !len || len >= size) {
		pr_err("%s: %s: '%.*s' is not valid\n", st->name, attr,
		       (int)min_t(size_t, len, 64), page);
		return -EINVAL;
	}
	ret = kfkv_store_lock_idle(st, attr);
	if (ret)
		return ret;
	memcpy(dst, page, len);
	dst[len] = '\0';
	mutex_unlock(&st->lock);
	return count;
}

static ssize_t kfkv_store_path_show(struct config_item *item, char *page)
{
	struct kfkv_store *st = to_store(item);
	ssize_t n;

	mutex_lock(&st->lock);
	n = sysfs_emit(page, "%s\n", st->path);
	mutex_unlock(&st->lock);
	return n;
}

static ssize_t kfkv_store_path_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);

	return kfkv_store_str(st, "path", st->path, sizeof(st->path), page,
			      count, page[0] == '/');
}

static ssize_t kfkv_store_addr_show(struct config_item *item, char *page)
{
	struct kfkv_store *st = to_store(item);
	ssize_t n;

	mutex_lock(&st->lock);
	n = sysfs_emit(page, "%s\n", st->addr);
	mutex_unlock(&st->lock);
	return n;
}

static ssize_t kfkv_store_addr_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);
	size_t len = strcspn(page, "\n");
	u8 buf[16];
	bool ok = len < KFKV_ADDR_MAX &&
		  (in4_pton(page, len, buf, -1, NULL) ||
		   in6_pton(page, len, buf, -1, NULL));

	return kfkv_store_str(st, "addr", st->addr, sizeof(st->addr), page,
			      count, ok);
}

static ssize_t kfkv_store_backend_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  READ_ONCE(to_store(item)->backend) ==
			  KFKV_BACKEND_DIR ? "dir" : "mem");
}

static ssize_t kfkv_store_backend_store(struct config_item *item,
					const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);
	int b = sysfs_streq(page, "mem") ? KFKV_BACKEND_MEM :
		sysfs_streq(page, "dir") ? KFKV_BACKEND_DIR : -1;
	int ret;

	if (b < 0) {
		pr_err("%s: backend: need mem or dir\n", st->name);
		return -EINVAL;
	}
	ret = kfkv_store_lock_idle(st, "backend");
	if (ret)
		return ret;
	/* A mem store's objects do not move to a directory. */
	if (b != st->backend && st->nr_objs) {
		mutex_unlock(&st->lock);
		pr_err("%s: backend: the store still has objects\n", st->name);
		return -EBUSY;
	}
	st->backend = b;
	mutex_unlock(&st->lock);
	return count;
}

/* A u64 attribute in KiB within [@min, @max] KiB. */
static ssize_t kfkv_store_kb(struct kfkv_store *st, const char *attr,
			     u64 *dst, const char *page, size_t count,
			     u64 min, u64 max)
{
	u64 v;
	int ret;

	if (kstrtou64(page, 0, &v) || v < min || v > max) {
		pr_err("%s: %s: need %llu-%llu\n", st->name, attr, min, max);
		return -EINVAL;
	}
	ret = kfkv_store_lock_idle(st, attr);
	if (ret)
		return ret;
	*dst = v << 10;
	mutex_unlock(&st->lock);
	return count;
}

static ssize_t kfkv_store_capacity_kb_show(struct config_item *item,
					   char *page)
{
	return sysfs_emit(page, "%llu\n", READ_ONCE(to_store(item)->capacity) >> 10);
}

static ssize_t kfkv_store_capacity_kb_store(struct config_item *item,
					    const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);

	return kfkv_store_kb(st, "capacity_kb", &st->capacity, page, count,
			     64, 1ULL << 30);
}

static ssize_t kfkv_store_max_value_kb_show(struct config_item *item,
					    char *page)
{
	return sysfs_emit(page, "%llu\n", READ_ONCE(to_store(item)->max_value) >> 10);
}

static ssize_t kfkv_store_max_value_kb_store(struct config_item *item,
					     const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);

	return kfkv_store_kb(st, "max_value_kb", &st->max_value, page, count,
			     1, KFKV_VALUE_MAX >> 10);
}

static ssize_t kfkv_store_port_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(to_store(item)->port));
}

static ssize_t kfkv_store_port_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);
	u16 port;
	int ret;

	if (kstrtou16(page, 0, &port) || !port) {
		pr_err("%s: port: need 1-65535\n", st->name);
		return -EINVAL;
	}
	ret = kfkv_store_lock_idle(st, "port");
	if (ret)
		return ret;
	st->port = port;
	mutex_unlock(&st->lock);
	return count;
}

static int kfkv_store_set(struct kfkv_store *st, bool on)
{
	int ret = 0;

	mutex_lock(&st->lock);
	if (on == st->enabled) {
		mutex_unlock(&st->lock);
		return 0;
	}
	if (on) {
		if (!st->addr[0] || !st->port ||
		    (st->backend == KFKV_BACKEND_DIR && !st->path[0])) {
			pr_err("%s: set addr, port (and path for dir) first\n",
			       st->name);
			ret = -EINVAL;
		} else {
			ret = kfkv_store_enable(st);
		}
		mutex_unlock(&st->lock);
		return ret;
	}
	/* New connection requests see this and are turned away. */
	st->enabled = false;
	mutex_unlock(&st->lock);
	kfkv_store_disable(st);
	return 0;
}

static ssize_t kfkv_store_enable_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", READ_ONCE(to_store(item)->enabled));
}

static ssize_t kfkv_store_enable_store(struct config_item *item,
				       const char *page, size_t count)
{
	bool on;
	int ret;

	if (kstrtobool(page, &on)) {
		pr_err("enable: need 0 or 1\n");
		return -EINVAL;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kfkv_store_set(to_store(item), on);
	return ret ? ret : count;
}

static ssize_t kfkv_store_connections_show(struct config_item *item,
					   char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(to_store(item)->nr_conns));
}

static ssize_t kfkv_store_objects_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", READ_ONCE(to_store(item)->nr_objs));
}

static ssize_t kfkv_store_used_kb_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n",
			  (u64)atomic64_read(&to_store(item)->used) >> 10);
}

/* The limits: unsigned integers in a range, changed only while disabled. */
static ssize_t kfkv_limit_show(struct config_item *item, char *page,
			       size_t off)
{
	struct kfkv_store *st = to_store(item);
	u32 v;

	mutex_lock(&st->lock);
	v = *(u32 *)((char *)&st->lim + off);
	mutex_unlock(&st->lock);
	return sysfs_emit(page, "%u\n", v);
}

static ssize_t kfkv_limit_store(struct config_item *item, const char *page,
				size_t count, const char *name, size_t off,
				u32 min, u32 max)
{
	struct kfkv_store *st = to_store(item);
	u32 v;
	int ret;

	if (kstrtou32(page, 0, &v) || v < min || v > max) {
		pr_err("%s: %s: need %u-%u\n", st->name, name, min, max);
		return -EINVAL;
	}
	ret = kfkv_store_lock_idle(st, name);
	if (ret)
		return ret;
	*(u32 *)((char *)&st->lim + off) = v;
	mutex_unlock(&st->lock);
	return count;
}

#define KFKV_LIMIT_ATTR(name, field, min, max)				\
static const size_t kfkv_off_##name =					\
	offsetof(struct kfkv_store_limits, field);			\
static ssize_t kfkv_store_##name##_show(struct config_item *item,	\
					char *page)			\
{									\
	return kfkv_limit_show(item, page, kfkv_off_##name);		\
}									\
static ssize_t kfkv_store_##name##_store(struct config_item *item,	\
					 const char *page, size_t count) \
{									\
	return kfkv_limit_store(item, page, count, #name,		\
				kfkv_off_##name, min, max);		\
}									\
CONFIGFS_ATTR(kfkv_store_, name)

KFKV_LIMIT_ATTR(max_connections, max_conns, 1, 4096);
KFKV_LIMIT_ATTR(max_connections_per_peer, max_conns_per_peer, 1, 4096);
KFKV_LIMIT_ATTR(max_depth, max_depth, 1, KFKV_MAX_DEPTH);
KFKV_LIMIT_ATTR(max_memory_kb, io_kb, 64, 1U << 30);
KFKV_LIMIT_ATTR(peer_timeout_ms, peer_timeout_ms, 100, 3600000);
KFKV_LIMIT_ATTR(max_objects, max_objects, 1, U32_MAX);

/*
 * The shared secret clients must prove they know.  Write-only: nothing
 * reads it back, not even root, so it leaves the kernel only as proofs.
 */
static ssize_t kfkv_store_secret_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct kfkv_store *st = to_store(item);
	int len = kfkv_secret_parse(st->name, page, count);
	int ret;

	if (len < 0)
		return len;
	ret = kfkv_store_lock_idle(st, "secret");
	if (ret)
		return ret;
	kfkv_secret_set(st->secret, &st->secret_len, page, len);
	mutex_unlock(&st->lock);
	pr_info("%s: %s\n", st->name, len ? "clients must authenticate" :
		"no secret: clients are not authenticated");
	return count;
}

CONFIGFS_ATTR(kfkv_store_, backend);
CONFIGFS_ATTR(kfkv_store_, path);
CONFIGFS_ATTR(kfkv_store_, addr);
CONFIGFS_ATTR(kfkv_store_, port);
CONFIGFS_ATTR(kfkv_store_, capacity_kb);
CONFIGFS_ATTR(kfkv_store_, max_value_kb);
CONFIGFS_ATTR(kfkv_store_, enable);
CONFIGFS_ATTR_WO(kfkv_store_, secret);
CONFIGFS_ATTR_RO(kfkv_store_, connections);
CONFIGFS_ATTR_RO(kfkv_store_, objects);
CONFIGFS_ATTR_RO(kfkv_store_, used_kb);

static struct configfs_attribute *kfkv_store_attrs[] = {
	&kfkv_store_attr_backend,
	&kfkv_store_attr_path,
	&kfkv_store_attr_addr,
	&kfkv_store_attr_port,
	&kfkv_store_attr_capacity_kb,
	&kfkv_store_attr_max_value_kb,
	&kfkv_store_attr_enable,
	&kfkv_store_attr_secret,
	&kfkv_store_attr_connections,
	&kfkv_store_attr_objects,
	&kfkv_store_attr_used_kb,
	&kfkv_store_attr_max_connections,
	&kfkv_store_attr_max_connections_per_peer,
	&kfkv_store_attr_max_depth,
	&kfkv_store_attr_max_memory_kb,
	&kfkv_store_attr_peer_timeout_ms,
	&kfkv_store_attr_max_objects,
	NULL,
};

static void kfkv_store_release(struct config_item *item)
{
	struct kfkv_store *st = to_store(item);

	kfkv_index_clear(st);
	WARN_ON_ONCE(atomic64_read(&st->used));
	kfree_sensitive(st);
}

static struct configfs_item_operations kfkv_store_item_ops = {
	.release = kfkv_store_release,
};

static const struct config_item_type kfkv_store_type = {
	.ct_item_ops = &kfkv_store_item_ops,
	.ct_attrs = kfkv_store_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *kfkv_store_make(struct config_group *group,
					    const char *name)
{
	struct kfkv_store *st;

	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	if (kfkv_store_name_valid(name, strlen(name) + 1) < 0) {
		pr_err("store name '%s': need 1-%d of [A-Za-z0-9._-], no leading dot\n",
		       name, KFKV_STORE_NAME_LEN - 1);
		return ERR_PTR(-EINVAL);
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return ERR_PTR(-ENOMEM);
	mutex_init(&st->lock);
	mutex_init(&st->data_lock);
	strscpy(st->name, name, sizeof(st->name));
	st->lim = kfkv_default_limits;
	st->capacity = KFKV_DEFAULT_CAPACITY;
	st->max_value = KFKV_DEFAULT_MAX_VALUE;
	st->objs = RB_ROOT;
	INIT_LIST_HEAD(&st->conns);
	init_waitqueue_head(&st->conns_wait);
	config_group_init_type_name(&st->group, name, &kfkv_store_type);
	return &st->group;
}

static void kfkv_store_drop(struct config_group *group,
			    struct config_item *item)
{
	kfkv_store_set(to_store(item), false);
	config_item_put(item);
}

static struct configfs_group_operations kfkv_tgt_group_ops = {
	.make_group = kfkv_store_make,
	.drop_item = kfkv_store_drop,
};

static const struct config_item_type kfkv_tgt_root_type = {
	.ct_group_ops = &kfkv_tgt_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem kfkv_tgt_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "kfkv_target",
			.ci_type = &kfkv_tgt_root_type,
		},
	},
};

static int __init kfkv_target_init(void)
{
	int ret;

	/* Requests do file I/O and wait on peers: unbound, reclaim-safe. */
	kfkv_tgt_wq = alloc_workqueue("kfkv_target",
				      WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!kfkv_tgt_wq)
		return -ENOMEM;
	/* Teardowns wait for work on kfkv_tgt_wq: they cannot run there. */
	kfkv_tgt_release_wq = alloc_workqueue("kfkv_target_release",
					      WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!kfkv_tgt_release_wq) {
		ret = -ENOMEM;
		goto destroy_wq;
	}
	config_group_init(&kfkv_tgt_subsys.su_group);
	mutex_init(&kfkv_tgt_subsys.su_mutex);
	ret = configfs_register_subsystem(&kfkv_tgt_subsys);
	if (ret)
		goto destroy_release_wq;
	return 0;

destroy_release_wq:
	destroy_workqueue(kfkv_tgt_release_wq);
destroy_wq:
	destroy_workqueue(kfkv_tgt_wq);
	return ret;
}

static void __exit kfkv_target_exit(void)
{
	configfs_unregister_subsystem(&kfkv_tgt_subsys);
	destroy_workqueue(kfkv_tgt_release_wq);
	destroy_workqueue(kfkv_tgt_wq);
}

module_init(kfkv_target_init);
module_exit(kfkv_target_exit);

MODULE_DESCRIPTION("kfkv target: key-value stores served over kfabric");
MODULE_LICENSE("GPL");
