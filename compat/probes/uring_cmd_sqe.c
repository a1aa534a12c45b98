// SPDX-License-Identifier: GPL-2.0
/* struct io_uring_cmd points at its whole SQE, no longer at its cmd bytes. */
#include <linux/io_uring.h>

/*
 * Where the kernel has it, the header the interface moved to; spelt
 * "# include" so that the probe's first check (its #include lines alone)
 * only takes the header every kernel has.
 */
#if __has_include("linux/io_uring/cmd.h")
# include <linux/io_uring/cmd.h>
#endif

const void *kfi_probe(const struct io_uring_cmd *c);

const void *kfi_probe(const struct io_uring_cmd *c)
{
	return c->sqe->cmd;
}
