// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: the one place the tracepoints are instantiated.
 */
#include "kfi_priv.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
