// Near misses with arena memory, which only loads and stores may reach: an arena address cast
// to a plain pointer is handed to a global function taking memory, and to a helper that
// writes into stack, map or ring buffer memory (the kernel: type=arena expected=fp, ...).
#include "corpus.h"

#define __arena __attribute__((address_space(1)))

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
} arena SEC(".maps");

__u64 __arena seen;

/* Verified alone: `out` is 8 bytes of memory, or NULL. */
__weak int count_into(__u64 *out)
{
	if (!out)
		return 0;
	return ++*out;
}

SEC("syscall")
int arena_as_mem(void *ctx)
{
	return count_into((__u64 *)&seen);
}

SEC("syscall")
int arena_to_helper(void *ctx)
{
	__u64 __arena *p = &seen;

	return bpf_probe_read_kernel((void *)p, sizeof(*p), ctx);
}
