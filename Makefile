# SPDX-License-Identifier: GPL-2.0
#
# Kernel Mode Linux: the commands users type. See README.md.

S := scripts/kml
KML ?= y

.PHONY: help deps need-deps tree export rebase bench bench-apps soak kernel selftests initramfs run test test-ibt check \
	deb deb-check docs check-commits clean

help:
	@echo "make run        build the KML kernel, boot it in QEMU, show the demonstration"
	@echo "make test       kselftests in QEMU on the KML kernel and the vanilla baseline"
	@echo "make test-ibt   KML under kernel IBT: boot in Bochs (CET), ring 0 without #CP"
	@echo "make deps       install the Debian packages and fetch the pinned upstream source"
	@echo "make tree       assemble build/linux: upstream tag + KML commits"
	@echo "make export     write edits made in build/linux back into this repository"
	@echo "make rebase UPSTREAM=<version>  move the fork onto another linux-source-6.12"
	@echo "make kernel     build the KML bzImage (KML=n: the vanilla baseline;"
	@echo "                ARCH=i386: the 32-bit ones, PAE and not, PAE=y|n for one;"
	@echo "                ARCH=arm: 32-bit ARM, classic and LPAE, LPAE=y|n for one)"
	@echo "make selftests  build and install the KML kselftests into build/kselftest"
	@echo "make bench      system call costs: KML modes vs ordinary vs baseline (table, JSON, PNG)"
	@echo "make bench-apps redis, nginx, sqlite3, bash from /trusted vs ordinary (table, JSON, PNG)"
	@echo "make soak       stress-ng, trinity and fault injection, KML vs baseline (SOAK_MINUTES=, SOAK_CPU=)"
	@echo "make check      checkpatch on patches/ and on KML's own files"
	@echo "make docs       build the x86 documentation with Sphinx, check kml.rst and kernel-doc"
	@echo "make check-commits  every KML commit of build/linux builds (the files it touches)"
	@echo "make deb        Debian packages linux-image/linux-headers of the KML kernel in build/deb"
	@echo "make deb-check  install the linux-image package in a Debian system, boot it in QEMU"
	@echo "make clean      remove build/ but the download cache"

deps:
	@$(S)/deps

# run and test work on a fresh machine: install what is missing first.
need-deps:
	@$(S)/deps --check >/dev/null 2>&1 || $(S)/deps

tree: need-deps
	@$(S)/tree $(if $(filter 1,$(FORCE)),--force)

export:
	@FORCE=$(FORCE) $(S)/export

rebase: need-deps
	@$(S)/rebase "$(UPSTREAM)"

# ARCH=i386: the 32-bit kernels, PAE and 2-level paging (PAE=y or PAE=n
# for one of them).
I386_PAE := $(if $(PAE),$(PAE),y n)
# ARCH=arm: the 32-bit ARM kernels, classic and LPAE page tables (LPAE=n
# or LPAE=y for one of them).
ARM_LPAE := $(if $(LPAE),$(LPAE),n y)

kernel: tree
ifeq ($(ARCH),i386)
	@for p in $(I386_PAE); do \
		$(S)/build-kernel $(if $(filter n,$(KML)),--vanilla) --arch i386 --pae $$p || exit; \
	done
else ifeq ($(ARCH),arm)
	@for p in $(ARM_LPAE); do \
		$(S)/build-kernel $(if $(filter n,$(KML)),--vanilla) --arch arm --lpae $$p || exit; \
	done
else ifeq ($(KML),n)
	@$(S)/build-kernel --vanilla
else
	@$(S)/build-kernel
endif

selftests: tree
	@$(S)/build-kernel >/dev/null
	@$(S)/build-selftests

initramfs: selftests
	@$(S)/mkinitramfs --kselftest build/kselftest \
		--add $(S)/guest/run-suite=/usr/bin/run-suite build/initramfs/base.cpio

run: need-deps
	@$(S)/run

test: need-deps
	@$(S)/test

test-ibt: need-deps
	@$(S)/test-ibt

bench: need-deps
	@$(S)/bench

bench-apps: need-deps
	@$(S)/bench-apps

soak: need-deps
	@SOAK_MINUTES="$(SOAK_MINUTES)" SOAK_CPU="$(SOAK_CPU)" $(S)/soak

check: tree
	@$(S)/check

docs: tree
	@$(S)/docs

check-commits: tree
	@$(S)/check-commits

deb: tree
	@$(S)/deb

deb-check: tree
	@$(S)/deb-check

clean:
	@find build -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} + 2>/dev/null || true
