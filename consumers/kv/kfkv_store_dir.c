// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv target: the dir backend, one file per object in a directory of a
 * local file system, written and read through the VFS.
 *
 * A file is a 512-byte header (magic, version, size, the key) and the
 * value.  Its name is the key in lowercase hex for keys of up to
 * KFKV_DIR_HEX_MAX bytes, so a user can find an object; a longer key
 * does not fit a file name that way and gets "~<64-bit hash>.<slot>",
 * the slot (0-7) telling apart keys whose hashes collide.  When the
 * store is enabled every file is read back into the index, so objects
 * survive a restart of the target; files that are not objects are left
 * alone.  Every call runs under the store's data_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/xxhash.h>
#include "kfkv_target.h"

#define KFKV_DIR_MAGIC		0x31424f564b464b2eULL	/* ".KFKVOB1" */
#define KFKV_DIR_HDR		512
#define KFKV_DIR_HEX_MAX	120	/* key bytes named in hex */
#define KFKV_DIR_SLOTS		8
#define KFKV_DIR_NAME		(2 * KFKV_DIR_HEX_MAX + 1)

/* The header of an object's file (little endian), KFKV_DIR_HDR bytes. */
struct kfkv_dir_hdr {
	__le64 magic;
	__le64 version;
	__le64 size;
	__le16 key_len;
	u8 pad[6];
	u8 key[KFKV_KEY_MAX];
	u8 reserved[KFKV_DIR_HDR - 32 - KFKV_KEY_MAX];
};

static_assert(sizeof(struct kfkv_dir_hdr) == KFKV_DIR_HDR);

static void kfkv_dir_name(const u8 *key, u16 key_len, u8 slot, char *name)
{
	static const char digits[] = "0123456789abcdef";
	u16 i;

	if (key_len <= KFKV_DIR_HEX_MAX) {
		for (i = 0; i < key_len; i++) {
			*name++ = digits[key[i] >> 4];
			*name++ = digits[key[i] & 15];
		}
		*name = '\0';
		return;
	}
	snprintf(name, KFKV_DIR_NAME, "~%016llx.%u", xxh64(key, key_len, 0),
		 slot);
}

static struct file *kfkv_dir_file(struct kfkv_store *st,
				  const struct kfkv_obj *obj, int flags)
{
	char name[KFKV_DIR_NAME];

	kfkv_dir_name(obj->key, obj->key_len, obj->slot, name);
	return file_open_root(&st->dir, name, flags | O_NOFOLLOW | O_LARGEFILE,
			      0600);
}

/* Write or read @len bytes of @buf at file position *@pos. */
static int kfkv_dir_io(struct file *f, struct kfkv_buf *buf, u64 off,
		       u64 len, loff_t *pos, bool write)
{
	u64 done = 0;

	while (done < len) {
		u64 at = off + done;
		u32 in = offset_in_page(at);
		u32 n = min_t(u64, PAGE_SIZE - in, len - done);
		void *p = kmap_local_page(buf->pages[at >> PAGE_SHIFT]) + in;
		ssize_t ret;

		ret = write ? kernel_write(f, p, n, pos) :
			      kernel_read(f, p, n, pos);
		kunmap_local(p);
		if (ret < 0)
			return ret;
		if (ret != n)
			return -EIO;
		done += n;
	}
	return 0;
}

static int kfkv_dir_write(struct file *f, const struct kfkv_obj *obj,
			  const struct kfkv_buf *val, bool durable)
{
	struct kfkv_dir_hdr *hdr;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	hdr = kzalloc(sizeof(*hdr), GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	hdr->magic = cpu_to_le64(KFKV_DIR_MAGIC);
	hdr->version = cpu_to_le64(obj->version);
	hdr->size = cpu_to_le64(obj->size);
	hdr->key_len = cpu_to_le16(obj->key_len);
	memcpy(hdr->key, obj->key, obj->key_len);
	n = kernel_write(f, hdr, sizeof(*hdr), &pos);
	kfree(hdr);
	if (n != KFKV_DIR_HDR)
		return n < 0 ? n : -EIO;
	ret = kfkv_dir_io(f, (struct kfkv_buf *)val, 0, val->len, &pos, true);
	if (!ret && durable)
		ret = vfs_fsync(f, 0);
	return ret;
}

/* A new long key: the first slot whose file does not exist yet. */
static struct file *kfkv_dir_create_slot(struct kfkv_store *st,
					 struct kfkv_obj *obj)
{
	struct file *f = ERR_PTR(-ENOSPC);

	for (obj->slot = 0; obj->slot < KFKV_DIR_SLOTS; obj->slot++) {
		f = kfkv_dir_file(st, obj, O_WRONLY | O_CREAT | O_EXCL);
		if (!IS_ERR(f) || PTR_ERR(f) != -EEXIST)
			return f;
	}
	return ERR_PTR(-ENOSPC);
}

/* The directory's entries on stable storage too (a new file's name). */
static int kfkv_dir_sync_dir(struct kfkv_store *st)
{
	struct file *d = file_open_root(&st->dir, ".", O_RDONLY | O_DIRECTORY,
					0);
	int ret;

	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = vfs_fsync(d, 0);
	filp_close(d, NULL);
	return ret;
}

/**
 * kfkv_dir_put() - write an object's file
 * @st: the store
 * @obj: the object (key, version, size); a new long key gets its slot
 * @old: the object it replaces, or NULL
 * @val: the value
 * @durable: fsync the file (and, for a new one, the directory)
 *
 * A replaced object's file is rewritten in place; if that fails, the old
 * value is lost as well and the caller drops the object.
 *
 * Return: 0 or a negative errno.
 */
int kfkv_dir_put(struct kfkv_store *st, struct kfkv_obj *obj,
		 const struct kfkv_obj *old, const struct kfkv_buf *val,
		 bool durable)
{
	bool fresh = !old;
	struct file *f;
	int ret;

	lockdep_assert_held(&st->data_lock);
	if (old)
		obj->slot = old->slot;
	if (obj->key_len > KFKV_DIR_HEX_MAX && fresh)
		f = kfkv_dir_create_slot(st, obj);
	else
		f = kfkv_dir_file(st, obj, O_WRONLY | O_CREAT | O_TRUNC);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kfkv_dir_write(f, obj, val, durable);
	filp_close(f, NULL);
	if (!ret && durable && fresh)
		ret = kfkv_dir_sync_dir(st);
	return ret;
}

/**
 * kfkv_dir_read() - read @buf->len bytes of an object from @off on
 * @st: the store
 * @obj: the object
 * @buf: where to
 * @off: first byte; [@off, @off + @buf->len) lies within the object
 *
 * Return: 0 or a negative errno (-EIO for a file shorter than its header
 * says).
 */
int kfkv_dir_read(struct kfkv_store *st, const struct kfkv_obj *obj,
		  struct kfkv_buf *buf, u64 off)
{
	loff_t pos = KFKV_DIR_HDR + off;
	struct file *f;
	int ret;

	lockdep_assert_held(&st->data_lock);
	f = kfkv_dir_file(st, obj, O_RDONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kfkv_dir_io(f, buf, 0, buf->len, &pos, false);
	filp_close(f, NULL);
	return ret;
}

/**
 * kfkv_dir_delete() - remove an object's file
 * @st: the store
 * @obj: the object
 *
 * Return: 0 or a negative errno.
 */
int kfkv_dir_delete(struct kfkv_store *st, const struct kfkv_obj *obj)
{
	struct inode *dir = d_inode(st->dir.dentry);
	struct dentry *dentry;
	struct file *f;
	int ret = -ENOENT;

	lockdep_assert_held(&st->data_lock);
	f = kfkv_dir_file(st, obj, O_RDONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/*
	 * A reference of our own, as a lookup would give: with only the
	 * file's, unlinking would leave the open file a negative dentry.
	 */
	dentry = dget(f->f_path.dentry);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	/* Still the file we opened, still in our directory. */
	if (dentry->d_parent == st->dir.dentry && !d_unhashed(dentry))
		ret = vfs_unlink(kfi_mnt_idmap(st->dir.mnt), dir, dentry,
				 NULL);
	inode_unlock(dir);
	filp_close(f, NULL);
	dput(dentry);
	return ret;
}

/* ---- Loading the directory ------------------------------------------- */

struct kfkv_dir_name_ent {
	struct list_head entry;
	char name[];
};

struct kfkv_dir_scan {
	struct dir_context ctx;
	struct list_head names;
	int err;
};

/* Collect the names that can be objects; the files are read afterwards. */
static bool kfkv_dir_actor(struct dir_context *ctx, const char *name,
			   int len, loff_t off, u64 ino, unsigned int type)
{
	struct kfkv_dir_scan *scan = container_of(ctx, struct kfkv_dir_scan,
						  ctx);
	struct kfkv_dir_name_ent *ent;

	if (type != DT_REG && type != DT_UNKNOWN)
		return true;
	if (!len || len >= KFKV_DIR_NAME || name[0] == '.')
		return true;
	ent = kmalloc(struct_size(ent, name, len + 1), GFP_KERNEL);
	if (!ent) {
		scan->err = -ENOMEM;
		return false;
	}
	memcpy(ent->name, name, len);
	ent->name[len] = '\0';
	list_add_tail(&ent->entry, &scan->names);
	return true;
}

/* Does the file @name hold the object @hdr says, under its own name? */
static bool kfkv_dir_hdr_ok(const struct kfkv_dir_hdr *hdr, const char *name,
			    loff_t fsize, u8 *slot)
{
	u16 key_len = le16_to_cpu(hdr->key_len);
	u64 size = le64_to_cpu(hdr->size);
	char want[KFKV_DIR_NAME];

	if (le64_to_cpu(hdr->magic) != KFKV_DIR_MAGIC || !key_len ||
	    key_len > KFKV_KEY_MAX || size > KFKV_VALUE_MAX ||
	    fsize != KFKV_DIR_HDR + size)
		return false;
	for (*slot = 0; *slot < KFKV_DIR_SLOTS; (*slot)++) {
		kfkv_dir_name(hdr->key, key_len, *slot, want);
		if (!strcmp(want, name))
			return true;
		if (key_len <= KFKV_DIR_HEX_MAX)
			break;
	}
	return false;
}

/* Read one file's header into the index; a file that is no object stays. */
static int kfkv_dir_load_one(struct kfkv_store *st, const char *name,
			     struct kfkv_dir_hdr *hdr)
{
	struct kfkv_obj *obj, *old;
	struct file *f;
	loff_t pos = 0;
	u8 slot;
	ssize_t n;

	f = file_open_root(&st->dir, name, O_RDONLY | O_NOFOLLOW | O_LARGEFILE,
			   0);
	if (IS_ERR(f))
		return 0;
	n = kernel_read(f, hdr, sizeof(*hdr), &pos);
	if (n != sizeof(*hdr) ||
	    !kfkv_dir_hdr_ok(hdr, name, i_size_read(file_inode(f)), &slot)) {
		filp_close(f, NULL);
		pr_warn("%s: %s is not an object, left alone\n", st->name, name);
		return 0;
	}
	filp_close(f, NULL);
	obj = kfkv_obj_alloc(st, hdr->key, le16_to_cpu(hdr->key_len));
	if (!obj)
		return -ENOMEM;
	obj->version = le64_to_cpu(hdr->version);
	obj->size = le64_to_cpu(hdr->size);
	obj->slot = slot;
	old = kfkv_index_find(st, obj->key, obj->key_len);
	if (old) {
		kfkv_obj_put(obj);
		return 0;
	}
	kfkv_index_replace(st, NULL, obj);
	st->last_version = max(st->last_version, obj->version);
	return 0;
}

static int kfkv_dir_load(struct kfkv_store *st)
{
	struct kfkv_dir_scan scan = { .ctx.actor = kfkv_dir_actor };
	struct kfkv_dir_name_ent *ent, *next;
	struct kfkv_dir_hdr *hdr;
	struct file *d;
	int ret;

	INIT_LIST_HEAD(&scan.names);
	d = file_open_root(&st->dir, ".", O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = iterate_dir(d, &scan.ctx);
	filp_close(d, NULL);
	ret = ret ?: scan.err;
	hdr = kmalloc(sizeof(*hdr), GFP_KERNEL);
	if (!hdr)
		ret = ret ?: -ENOMEM;
	mutex_lock(&st->data_lock);
	list_for_each_entry_safe(ent, next, &scan.names, entry) {
		if (!ret)
			ret = kfkv_dir_load_one(st, ent->name, hdr);
		kfree(ent);
	}
	mutex_unlock(&st->data_lock);
	kfree(hdr);
	return ret;
}

/**
 * kfkv_dir_open() - open a dir store's directory and load its objects
 * @st: the store, with @st->path set
 *
 * Context: process; the store's lock held.
 * Return: 0 or a negative errno, with nothing left open.
 */
int kfkv_dir_open(struct kfkv_store *st)
{
	int ret;

	ret = kern_path(st->path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &st->dir);
	if (ret)
		return ret;
	ret = kfkv_dir_load(st);
	if (ret)
		kfkv_dir_close(st);
	return ret;
}

/* Forget the objects (the files stay) and let go of the directory. */
void kfkv_dir_close(struct kfkv_store *st)
{
	kfkv_index_clear(st);
	path_put(&st->dir);
	memset(&st->dir, 0, sizeof(st->dir));
}
