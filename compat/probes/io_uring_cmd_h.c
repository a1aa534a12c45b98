// SPDX-License-Identifier: GPL-2.0
/*
 * The uring_cmd interface has a header of its own, <linux/io_uring/cmd.h>
 * (6.1 declares it in <linux/io_uring.h>, which every kernel has).
 */
#include <linux/io_uring.h>

#if !__has_include("linux/io_uring/cmd.h")
#error "no <linux/io_uring/cmd.h>"
#endif
