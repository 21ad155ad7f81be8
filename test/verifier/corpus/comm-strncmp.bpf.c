// Imitates newer libbpf-tools' command filter: bpf_strncmp of the current comm against a
// .rodata string, and a per-command counter keyed by the comm itself.
#include "corpus.h"

const char target[TASK_COMM_LEN] = "sshd";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[TASK_COMM_LEN]);
	__type(value, __u64);
} by_comm SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_connect")
int count_connect(void *ctx)
{
	char comm[TASK_COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	if (bpf_strncmp(comm, sizeof(comm), target) == 0)
		return 0; /* ignore the daemon itself */
	__u64 one = 1, *v = bpf_map_lookup_elem(&by_comm, comm);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&by_comm, comm, &one, BPF_NOEXIST);
	return 0;
}
