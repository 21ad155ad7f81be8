// Imitates a scanner that walks a small matrix with nested bpf_for loops and retries a step a
// fixed number of times with bpf_repeat, all on tp_btf arguments.
#include "corpus.h"
#include "iter.h"

#define ROWS 8
#define COLS 16

__u8 matrix[ROWS][COLS];
__u32 hits;
__u64 spins;

SEC("tp_btf/sched_switch")
int BPF_PROG(scan_matrix, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 n = 0;
	int r, c;

	if (next->pid == 0)
		return 0;
	bpf_for(r, 0, ROWS) {
		bpf_for(c, 0, COLS) {
			if (matrix[r][c] == (next->pid & 0xff))
				n++;
		}
	}
	bpf_repeat(4)
		__sync_fetch_and_add(&spins, 1);
	hits += n;
	return 0;
}
