// Near miss: a "retry until the slot is claimed" loop with no bound; nothing changes in the
// verifier's state between iterations (the kernel: infinite loop detected).
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} owners SEC(".maps");

SEC("raw_tp/sys_enter")
int claim_slot(void *ctx)
{
	__u32 slot = bpf_get_smp_processor_id();
	__u64 me = bpf_get_current_pid_tgid();
	while (bpf_map_update_elem(&owners, &slot, &me, BPF_NOEXIST))
		;
	return 0;
}
