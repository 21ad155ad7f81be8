// Near miss: the command buffer sized with one constant and filled with another (a header's
// longer length), so the helper writes past the top of the stack frame (the kernel: invalid
// indirect access to stack). With root, an uninitialized hole would pass; this does not.
#include "corpus.h"

#define COMM_MAX 32

char last_comm[TASK_COMM_LEN];

SEC("tracepoint/syscalls/sys_enter_fsync")
int on_fsync(void *ctx)
{
	char comm[TASK_COMM_LEN];
	bpf_get_current_comm(comm, COMM_MAX);
	__builtin_memcpy(last_comm, comm, sizeof(comm));
	return 0;
}
