// Near miss: a tp_btf handler written for an older tracepoint signature reads an argument
// slot the running kernel's sched_switch does not have.
#include "corpus.h"

__u64 last_state;

SEC("tp_btf/sched_switch")
int switch_state(u64 *ctx)
{
	/* (bool preempt, prev, next, prev_state): there is no sixth argument */
	last_state = ctx[5];
	return 0;
}
