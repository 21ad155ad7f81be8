// Imitates the libbpf skeleton idiom: .rodata config set before load (dead branches pruned),
// .bss counters, .data defaults, and a per-CPU array for a bigger scratch record.
#include "corpus.h"

const volatile bool trace_failed_only = false;
const volatile __u32 min_size = 0;
const volatile char target_comm[TASK_COMM_LEN] = {};

__u64 calls, filtered;
__u32 sample_every = 1;

SEC("tracepoint/syscalls/sys_exit_read")
int count_reads(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	if (trace_failed_only && ret >= 0)
		return 0;
	if (ret >= 0 && (__u64)ret < min_size) {
		__sync_fetch_and_add(&filtered, 1);
		return 0;
	}
	if (target_comm[0]) {
		char comm[TASK_COMM_LEN];
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < TASK_COMM_LEN; i++) {
			if (comm[i] != target_comm[i])
				return 0;
			if (!comm[i])
				break;
		}
	}
	if (sample_every > 1 && bpf_get_prandom_u32() % sample_every)
		return 0;
	__sync_fetch_and_add(&calls, 1);
	return 0;
}
