# daxtrace: clang -target bpf -> bpftool gen skeleton -> link with libbpf.
# `make V=1` shows the commands, `make STATIC=1` links a static binary.

OUT		:= build
CLANG		?= clang
LLVM_STRIP	?= llvm-strip
BPFTOOL		?= bpftool
CC		?= gcc
ARCH		:= x86
CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -std=gnu11
# '=': the OUT that STATIC, SANITIZE or BENCH_BPF set below, where it is used
INCLUDES	= -Iinclude -I$(OUT) -Isrc
# The release is the VERSION file's, so a build from a tarball (the .deb)
# needs no git; `make -s print-version` prints it. --version also names
# the build's linking.
DT_VERSION	:= $(shell cat VERSION)
ifeq ($(DT_VERSION),)
$(error no release in the VERSION file)
endif
DEFS		:= -DDT_VERSION='"$(DT_VERSION)"'
LIBS		:= -lbpf -lelf -lz
ifeq ($(STATIC),1)
LDFLAGS		+= -static
LIBS		:= -l:libbpf.a -l:libelf.a -l:libz.a
OUT		:= build/static
DEFS		+= -DDT_STATIC
endif
ifeq ($(SANITIZE),1)
CFLAGS		+= -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS		+= -fsanitize=address,undefined
OUT		:= build/san
endif
# clang -target bpf lacks the host's system include dirs; add them last.
CLANG_SYS	:= $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
		     sed -n '/<...> search starts/,/End of search/ s| \(/.*\)|-idirafter \1|p')
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		   -Iinclude -I. $(CLANG_SYS)
# bench-only builds (BENCH_BPF=...): bench/bench.mk, whose rules come
# first; a bare `make` still builds the tool
.DEFAULT_GOAL := all
include bench/bench.mk

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SRCS		:= src/daxtrace.c src/probe.c src/devices.c src/report.c src/ftrace.c \
		   src/json.c src/buf.c src/metrics.c src/http.c src/telemetry.c \
		   src/offline_report.c src/parse.c src/kbtf.c src/core_btf.c \
		   src/targets.c src/names.c src/snapshot.c src/report_event.c \
		   src/report_summary.c src/report_files.c src/inopath.c \
		   src/capture_reader.c src/cli.c src/bpf_load.c \
		   src/bpf_read.c src/kernel_syms.c src/preempt.c \
		   src/devinfo.c src/devcmd.c \
		   src/ftrace_tracefs.c src/ftrace_events.c src/ftrace_handlers.c
OBJS		:= $(patsubst src/%.c,$(OUT)/%.o,$(SRCS))
LIB_OBJS	:= $(OUT)/report.o $(OUT)/devices.o $(OUT)/ftrace.o $(OUT)/probe.o \
		   $(OUT)/json.o $(OUT)/buf.o $(OUT)/metrics.o $(OUT)/http.o \
		   $(OUT)/telemetry.o $(OUT)/offline_report.o $(OUT)/parse.o \
		   $(OUT)/kbtf.o $(OUT)/core_btf.o $(OUT)/targets.o $(OUT)/names.o \
		   $(OUT)/snapshot.o $(OUT)/report_event.o $(OUT)/report_summary.o \
		   $(OUT)/report_files.o $(OUT)/inopath.o \
		   $(OUT)/capture_reader.o $(OUT)/kernel_syms.o $(OUT)/preempt.o \
		   $(OUT)/devinfo.o $(OUT)/devcmd.o \
		   $(OUT)/ftrace_tracefs.o $(OUT)/ftrace_events.o $(OUT)/ftrace_handlers.o
SKELS		:= $(OUT)/dax_trace.skel.h $(OUT)/probe.skel.h
UNIT_TESTS	:= $(OUT)/test_report $(OUT)/test_devices $(OUT)/test_ftrace \
		   $(OUT)/test_telemetry $(OUT)/test_core_btf $(OUT)/test_facts \
		   $(OUT)/test_devcmd $(OUT)/test_ftrace_handlers $(OUT)/test_files

# The kernels the test modules are built for (tests/kmod/build): the
# matrix tests/vm/daxvm boots, each resolved to its newest Debian ABI.
KMOD_KERNELS	?= 6.1 6.12 7.3

PREFIX		?= /usr/local
DESTDIR		?=
SBINDIR		:= $(PREFIX)/sbin
MANDIR		:= $(PREFIX)/share/man/man8
UNITDIR		:= $(PREFIX)/lib/systemd/system
DATADIR		:= $(PREFIX)/share/daxtrace
# Prometheus alerting rules
PROM_RULES	:= contrib/prometheus/daxtrace.rules.yml

.PHONY: all clean test unit e2e vmtest bench demo deps deps-check vmlinux kmod \
	install uninstall installtest fuzz fuzz-build reliability print-version rulestest deb debtest \
	panic-study bench-build bench-daxtrace
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUT)/daxtrace $(OUT)/daxload $(OUT)/kmodio $(OUT)/preadloop $(OUT)/trampfill $(UNIT_TESTS)

$(OUT):
	$(Q)mkdir -p $@

# DWARF is stripped (BTF and line info stay): the skeleton embeds the
# object, and libbpf walks it at every start-up.
$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard include/*.h) $(wildcard bpf/*.bpf.h) vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/%.o: src/%.c $(wildcard src/*.h) include/daxtrace.h $(SKELS) VERSION | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEFS) $(INCLUDES) -c $< -o $@

$(OUT)/daxtrace: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# The workload runs in the guest from the shared tree: static, no deps.
$(OUT)/daxload: tests/daxload.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -pthread $< -o $@

# PIE and dynamic on purpose: nothing of it lives in low memory (kmodio.c)
$(OUT)/kmodio: tests/kmod/kmodio.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -fPIE -pie $< -o $@

# Another tracer's programs on a trampoline, for the e2e tests
$(OUT)/trampfill: tests/trampfill.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror $< -lbpf -o $@

$(OUT)/preadloop: bench/preadloop.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror $< -o $@

$(OUT)/test_%: tests/unit/test_%.c $(LIB_OBJS) tests/unit/unit.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEFS) $(LDFLAGS) $(INCLUDES) -Itests/unit $< $(LIB_OBJS) $(LIBS) -o $@

# libFuzzer targets: the parsers, built with clang + ASan/UBSan.
FUZZ_OUT	:= build/fuzz
FUZZ_TARGETS	:= capture http options devname tline
FUZZ_LIB	:= $(patsubst src/%.c,$(FUZZ_OUT)/%.o,$(filter-out src/daxtrace.c,$(SRCS)))
FUZZ_CFLAGS	:= -g -O1 -Wall -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		   -Iinclude -Ibuild -Isrc $(DEFS)

$(FUZZ_OUT)/%.o: src/%.c $(wildcard src/*.h) include/daxtrace.h build/probe.skel.h build/dax_trace.skel.h \
		 VERSION
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(FUZZ_OUT)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) -lbpf -lelf -lz -o $@

fuzz-build: $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS))

# 60 s per target in `make test`, 10 min here; crashes land in build/fuzz/crashes
fuzz: fuzz-build
	$(Q)tests/fuzz/run 600

# The long reliability runs: 100 kill cycles, a 30-minute soak, 10 min
# of fuzzing per target. Figures: "figure:" and "fuzz:" lines.
reliability: deps-check
	$(Q)$(MAKE) --no-print-directory all kmod fuzz-build
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 build/san/daxtrace
	$(Q)KILLS=100 SOAK=30 tests/reliability/run
	$(Q)tests/fuzz/run 600

# The guest-panic study (issue 23): attach/detach cycles of daxtrace, of
# bpftrace on its hooks and of the empty build, and plain boots, on 6.1
# and 7.3, 1 and 2 vCPUs, multi- and single-threaded TCG. Hours long, so
# not part of `make test` or `make reliability`. PANIC_STUDY picks
# configurations (KERNEL:SMP:TCG:TRACER ..., e.g. "7.3:2:multi:daxtrace
# 7.3:2:single:none"), PANIC_CYCLES the cycles (200), PANIC_BOOTS the
# boots of `none` (30). Lines "panic-study: ..." go to tests/RELIABILITY.md.
panic-study: deps-check
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory BENCH_BPF=cost BENCH_PARTS=0 build/bench/cost-0/daxtrace
	$(Q)tests/reliability/panic-study --matrix

# The modules of tests/kmod/Kbuild (the fault-injecting dax driver) for
# each kernel: build/kmod/ABI/*.ko, whatever OUT is. The script knows what
# is up to date (kbuild does); the first 7.x build makes a trixie build
# root in ~/.cache/daxtrace (about 3 minutes).
kmod:
	$(Q)tests/kmod/build $(if $(filter 1,$(V)),-v) $(KMOD_KERNELS)

# Regenerate from the running kernel's BTF (committed: CO-RE makes it portable).
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

# The binary, its man page and the exporter unit (ExecStart follows PREFIX).
install: $(OUT)/daxtrace
	install -D -m 0755 $(OUT)/daxtrace $(DESTDIR)$(SBINDIR)/daxtrace
	install -D -m 0644 daxtrace.8 $(DESTDIR)$(MANDIR)/daxtrace.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' contrib/daxtrace.service > $(DESTDIR)$(UNITDIR)/daxtrace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/daxtrace.service
	install -D -m 0644 $(PROM_RULES) $(DESTDIR)$(DATADIR)/daxtrace.rules.yml

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/daxtrace $(DESTDIR)$(MANDIR)/daxtrace.8 \
		$(DESTDIR)$(UNITDIR)/daxtrace.service $(DESTDIR)$(DATADIR)/daxtrace.rules.yml
	rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || true

# The Debian package (debian/): dpkg-buildpackage -b in a copy of the
# tree's tracked files as they are (uncommitted edits included: git stash
# create), so nothing untracked gets in and the checkout's build/ is left
# alone; build/deb/daxtrace_VERSION_amd64.deb. Its version is the
# changelog's, which must be daxtrace's own.
DEB_OUT		:= build/deb
deb: deps-check
	$(Q)v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = "$(DT_VERSION)" ] || { \
		echo "make deb: debian/changelog is at $$v, daxtrace at $(DT_VERSION):" \
		     "add a changelog entry (dch -v $(DT_VERSION))" >&2; exit 1; }
	$(Q)rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)/src
	$(Q)if c=$$(git stash create 2>/dev/null); then \
		git archive "$${c:-HEAD}" | tar -x -C $(DEB_OUT)/src; \
	else \
		tar -c --exclude=./build --exclude=./.git . | tar -x -C $(DEB_OUT)/src; \
	fi
	$(call msg,DEB,$(DEB_OUT) (log: $(DEB_OUT)/build.log))
	$(Q)cd $(DEB_OUT)/src && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
		{ tail -n 40 ../build.log; echo "make deb: dpkg-buildpackage failed" >&2; exit 1; }
	$(Q)rm -rf $(DEB_OUT)/src
	$(Q)ls $(DEB_OUT)/daxtrace_$(DT_VERSION)_*.deb

# build the .deb, lint it, then install, run and purge it in the guest
debtest: deps-check
	$(Q)tests/deb/run

# install into a scratch DESTDIR, lint the man page and the unit, and
# prove the STATIC=1 binary needs no shared library
installtest: all
	$(Q)tests/install/run

print-version:
	@echo $(DT_VERSION)

unit: $(UNIT_TESTS)
	$(Q)for t in $(UNIT_TESTS); do $$t || exit 1; done

# contrib/prometheus/daxtrace.rules.yml under promtool test rules, fed
# series shaped as real scrapes (tests/prometheus/scrape-*.prom)
rulestest:
	$(Q)tests/prometheus/run

# the guest tests also need the test modules (as root: the build asks daxvm)
e2e: all kmod bench-daxtrace
	$(Q)tests/e2e/run

vmtest: all kmod
	$(Q)tests/vm/selftest

# The bench-only builds still compile against the product's BPF headers,
# and e2e loads each (test_bench_builds): every build bench/run makes (the
# cost model's part masks and the bare tracer; BENCH_BUILDS="..." makes
# fewer); and the bench's QEMU plugins and bench/profile's line dumper.
BENCH_BUILDS = $(shell python3 -c 'import sys; sys.path.insert(0, "bench"); import bench; print(*bench.bench_builds())')

bench-daxtrace:
	$(Q)for b in $(BENCH_BUILDS); do \
		case $$b in \
		cost-*) a="BENCH_BPF=cost BENCH_PARTS=$${b#cost-}" ;; \
		*) a="BENCH_BPF=$$b" ;; \
		esac; \
		$(MAKE) --no-print-directory $$a build/bench/$$b/daxtrace || exit 1; \
	done

bench-build: bench-daxtrace build/bench/lockcount.so build/bench/insnprof.so build/bench/jitlines

# Figures, not tests: ratios measured side by side in one guest boot.
bench: deps-check
	$(Q)$(MAKE) --no-print-directory all kmod
	$(Q)bench/run

# every suite, then one line totalling them: "N passed, M failed"
test: deps-check
	$(Q)tests/run-all

demo: deps-check
	$(Q)$(MAKE) --no-print-directory all kmod
	$(Q)tests/demo

DEPS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev gcc make \
	qemu-system-x86 ndctl daxctl busybox-static fio bpftrace xfsprogs \
	e2fsprogs cpio kmod util-linux python3 libc6-dev bc prometheus iproute2 \
	groff-base systemd libclang-rt-dev debootstrap debhelper dpkg-dev lintian \
	build-essential
DEP_CMDS := clang llvm-strip bpftool qemu-system-x86_64 ndctl daxctl busybox fio \
	bpftrace mkfs.xfs cpio python3 bc prometheus promtool ip debootstrap \
	dh dpkg-buildpackage lintian

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS)

# Install only when something is missing, so `make test` works on a
# fresh Debian machine and costs nothing on a prepared one. The package's
# build needs debian/control's Build-Depends and build-essential, which
# dpkg-checkbuilddeps checks.
deps-check:
	$(Q)for c in $(DEP_CMDS); do command -v $$c >/dev/null || { \
		$(MAKE) --no-print-directory deps; break; }; done
	$(Q)test -f /usr/include/bpf/libbpf.h -a \
		-f "$$($(CLANG) -print-runtime-dir)/libclang_rt.fuzzer-x86_64.a" || \
		$(MAKE) --no-print-directory deps
	$(Q)dpkg-checkbuilddeps >/dev/null 2>&1 || $(MAKE) --no-print-directory deps

# (and what kbuild left in tests/kmod when it built the modules there)
clean:
	rm -rf build
	rm -f tests/kmod/*.ko tests/kmod/*.mod tests/kmod/*.mod.[co] tests/kmod/*.o \
		tests/kmod/.*.cmd tests/kmod/Module.symvers tests/kmod/modules.order
