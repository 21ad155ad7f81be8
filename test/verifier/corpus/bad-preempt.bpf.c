// Near misses with preemption disabled: an early return that leaves it disabled, and an
// enable without a disable.
#include "corpus.h"

extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;

__u64 small, large;

SEC("tc")
int early_return(struct __sk_buff *skb)
{
	bpf_preempt_disable();
	if (skb->len < 64)
		return TC_ACT_OK;
	large++;
	bpf_preempt_enable();
	return TC_ACT_OK;
}

SEC("tc")
int enable_only(struct __sk_buff *skb)
{
	if (skb->len < 64) {
		small++;
		bpf_preempt_enable();
	}
	return TC_ACT_OK;
}
