# SPDX-License-Identifier: GPL-2.0
#
# kfabric: kernel-mode fabric library (out-of-tree modules).
#
#   make              build every module against $(KDIR), and the tools
#   make check        deps + build + boot the test VM + run the suite
#   make check-debug  the same on a KASAN/lockdep/kmemleak kernel built here
#   make check-newest the same on Debian's newest kernel line (7.3)
#   make build-newest build against that line's prepared tree with W=1
#   make demo         boot the VM with Soft-RoCE and show what kfabric sees
#   make lint         checkpatch --strict, sparse (C=2) and W=1, no warnings
#   make bench        kfabric against raw verbs in one VM run (QUICK=1: smoke;
#                     SUITE=block: kfblk against nvme-rdma; SUITE=kv: kfkv
#                     against memcached and Redis; KERNEL=lean: on a kernel
#                     without debug options, built here and cached)
#   make fuzz         libFuzzer on the kfblk, kfkv and kfi_tcp wire parsers (FUZZ_TIME s each)
#   make mutate       plant known bugs one at a time; their tests must go red
#   make dkms         build the DKMS source tree with dkms against $(KVER)
#   make deb          the Debian package kfabric-dkms, in build/deb/
#   make deps         install/fetch what all of the above need (root)
#   make vm           interactive shell in the test VM
#   make clean
#
# The build is a single `make -C $(KDIR) M=$(CURDIR)` pass over the top-level
# Kbuild, which lists the subdirectories.

KVER ?= 6.1.0-56-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
KFI_CACHE ?= /var/cache/kfabric
export KVER KFI_CACHE

# Module switches, as the in-tree Kconfig would set them; a directory's Kbuild
# may use obj-$(CONFIG_...) so the tree can later move into the kernel as is.
# KFI_BUILD_TESTS=0 leaves the test modules and benchmarks out, as DKMS
# builds the tree.
KFI_BUILD_TESTS ?= 1
KFI_CONFIG := CONFIG_KFABRIC=m CONFIG_KFABRIC_VERBS=m CONFIG_KFABRIC_TCP=m \
	      CONFIG_KFABRIC_BLOCK=m \
	      $(if $(filter 1,$(KFI_BUILD_TESTS)),CONFIG_KFABRIC_TESTS=m)

KBUILD := $(MAKE) -C $(KDIR) M=$(CURDIR) $(KFI_CONFIG)

.PHONY: all modules tools clean deps check check-debug check-newest build-newest \
	demo lint bench fuzz mutate vm help dkms deb

all: modules

# DKMS builds (KFI_BUILD_TESTS=0) take the modules only.
modules: $(if $(filter 1,$(KFI_BUILD_TESTS)),tools)
	$(KBUILD) modules

# The user-space programs: tools/kfkv/kfkv, the suite's UAPI test and the
# kv benchmark's memcached client.
tools:
	$(MAKE) -C tools/kfkv
	$(MAKE) -C tools/testing/bench/kv

clean:
	$(KBUILD) clean
	$(MAKE) -C tools/kfkv clean
	$(MAKE) -C tools/testing/bench/kv clean
	rm -rf build

deps:
	scripts/deps.sh

check:
	scripts/check.sh

check-debug:
	scripts/check.sh --debug

check-newest:
	scripts/check.sh --newest

build-newest:
	@if scripts/build-newest.sh; then \
		echo "build-newest: 1 passed, 0 failed"; \
	else \
		echo "build-newest: 0 passed, 1 failed"; exit 1; \
	fi

demo:
	scripts/demo.sh

lint:
	@if scripts/lint.sh; then \
		echo "lint: 1 passed, 0 failed"; \
	else \
		echo "lint: 0 passed, 1 failed"; exit 1; \
	fi

bench:
	KERNEL=$(KERNEL) scripts/bench.sh $(if $(filter-out 0,$(QUICK)),--quick) \
		$(foreach s,$(SUITE),--suite $(s))

FUZZ_TIME ?= 60
fuzz:
	@scripts/deps.sh
	@if tools/testing/fuzz/run.sh $(FUZZ_TIME); then \
		echo "fuzz: 1 passed, 0 failed"; \
	else \
		echo "fuzz: 0 passed, 1 failed"; exit 1; \
	fi

# Plant each bug of tools/testing/mutate/mutations/ in a scratch copy and
# check that its tests go red (MUTATIONS='name ...' for some only).
mutate:
	scripts/deps.sh
	tools/testing/mutate/run $(MUTATIONS)

# Packaging (Documentation/kfabric/packaging.rst).  KFI_DEB_DIR: where
# make deb writes the package.
KFI_DEB_DIR ?= $(CURDIR)/build/deb
# make dkms prints its own "dkms: N passed, N failed" line, a test per
# kernel of KFI_DKMS_KVERS (default: KVER).
dkms:
	scripts/package.sh dkms

deb:
	scripts/package.sh deb "$(KFI_DEB_DIR)"

vm: deps modules
	tools/testing/vm/run --shell

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'
