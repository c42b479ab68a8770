# Bench-only daxtrace builds (bench sections 4, 5 and 7): the product's
# user space linked with a BPF object built from bench/bpf/ instead of
# bpf/dax_trace.bpf.c. bench/run makes them with
#   make BENCH_BPF=cost BENCH_PARTS=N build/bench/cost-N/daxtrace
#   make BENCH_BPF=bare build/bench/bare/daxtrace
# Never part of `make`, `make all` or `make install`: not tracers.
ifneq ($(BENCH_BPF),)
OUT		:= build/bench/$(BENCH_BPF)$(if $(BENCH_PARTS),-$(BENCH_PARTS))
BENCH_BPF_CFLAGS := -Ibpf -Ibench/bpf $(if $(BENCH_PARTS),-DBENCH_PARTS=$(BENCH_PARTS))

$(OUT)/dax_trace.bpf.o: bench/bpf/$(BENCH_BPF).bpf.c bench/bpf/common.bpf.h \
		$(wildcard include/*.h) $(wildcard bpf/*.bpf.h) vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BENCH_BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

.PHONY: bench-not-installable
install installtest: bench-not-installable
bench-not-installable:
	@echo "BENCH_BPF=$(BENCH_BPF): a bench build is not a tracer, not installed" >&2; exit 1
endif

# bench/lockcount.c: the QEMU plugin counting the guest's atomic
# instructions per loop (bench/run gives it to daxvm); bench/insnprof.c:
# the one counting each kernel instruction, for bench/profile
build/bench/%.so: bench/%.c bench/qemu_plugin.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror $< -o $@

# bench/profile's: where BPF programs' source lines start in their images
build/bench/jitlines: bench/jitlines.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror $< -lbpf -o $@
