/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny KTAP reporter for kfabric's in-kernel test modules.
 *
 * Debian's kernel has no KUnit, so each test module runs its cases from
 * module_init() and prints one KTAP line per case through pr_info().  The
 * suite runner (kfabric_modules.sh) picks those lines out of the kernel log
 * by the module's pr_fmt prefix and folds them into the suite's KTAP stream.
 *
 * A case is a function returning 0 on success or a negative errno; the
 * KT_EXPECT_*() macros report where a check failed and make the case fail.
 * A case skips only through kt_skip(); any other positive return is a bug
 * in the case and fails it.
 */
#ifndef _KFI_KTAP_H
#define _KFI_KTAP_H

#include <linux/kernel.h>
#include <linux/printk.h>

struct kt_case {
	const char *name;
	int (*run)(void);
};

#define KT_CASE(fn) { .name = #fn, .run = fn }

/* Check @cond; on failure log the location and fail the case with -EINVAL. */
#define KT_EXPECT(cond)							\
	do {								\
		if (!(cond)) {						\
			pr_info("    # %s:%d: expected %s\n",		\
				__func__, __LINE__, #cond);		\
			return -EINVAL;					\
		}							\
	} while (0)

/* Check that @a == @b as long long, printing both on failure. */
#define KT_EXPECT_EQ(a, b)						\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a != __b) {					\
			pr_info("    # %s:%d: %s == %lld, expected %s == %lld\n", \
				__func__, __LINE__, #a, __a, #b, __b);	\
			return -EINVAL;					\
		}							\
	} while (0)

/* Run a setup step unless one failed already; log the one that fails. */
#define STEP(ret, expr)							\
	do {								\
		int *__r = &(ret);					\
		if (!*__r) {						\
			*__r = (expr);					\
			if (*__r)					\
				pr_info("    # %s: %s: %d\n", __func__,	\
					#expr, *__r);			\
		}							\
	} while (0)

/* What kt_skip() returns: "skip this case", once it has said why. */
#define KT_SKIP 1

/* Set by kt_skip(); a case that returns KT_SKIP without it fails. */
static const char *kt_skip_reason;

static inline int kt_skip(const char *why)
{
	kt_skip_reason = why ?: "no reason given";
	return KT_SKIP;
}

/**
 * kt_run() - run @n cases and print them as a KTAP plan
 * @cases: the cases, in order
 * @n: how many
 *
 * Context: process context, may sleep (the cases usually do).
 * Return: the number of failed cases.
 */
static inline int kt_run(const struct kt_case *cases, int n)
{
	int i, failed = 0;

	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", n);
	for (i = 0; i < n; i++) {
		int ret;

		kt_skip_reason = NULL;
		ret = cases[i].run();
		if (ret == KT_SKIP && kt_skip_reason) {
			pr_info("ok %d %s # SKIP %s\n", i + 1, cases[i].name,
				kt_skip_reason);
		} else if (ret > 0) {
			/* Not an errno, and not a skip: the case is wrong. */
			failed++;
			pr_info("not ok %d %s # ret %d, positive without kt_skip()\n",
				i + 1, cases[i].name, ret);
		} else if (ret) {
			failed++;
			pr_info("not ok %d %s # ret %d\n", i + 1,
				cases[i].name, ret);
		} else {
			pr_info("ok %d %s\n", i + 1, cases[i].name);
		}
	}
	return failed;
}

#endif /* _KFI_KTAP_H */
