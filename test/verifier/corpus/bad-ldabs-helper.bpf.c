// A near miss of a classic socket filter split into a helper function: the helper reads the
// IP protocol byte with a legacy packet load and returns 1 after it. Where that load fails,
// the helper returns 0 instead, and the caller then uses a register it never set. The kernel
// walks that hidden exit too.
#include "corpus.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

static __noinline int ip_proto(struct __sk_buff *skb)
{
	unsigned long long proto = load_byte(skb, 23);
	int seen;

	/* "the byte was read": 1 whatever it holds (the compiler may not fold it) */
	asm volatile("%0 = 1" : "=r"(seen) : "r"(proto));
	return seen;
}

SEC("socket")
int proto_filter(struct __sk_buff *skb)
{
	int verdict;

	if (ip_proto(skb) == 0)
		asm volatile("%0 = r9" : "=r"(verdict));
	else
		verdict = 0;
	return verdict;
}
