// Near miss: a global function dereferences its pointer argument without a NULL check; global
// functions are verified alone, so the argument may be NULL (the kernel: invalid mem access
// 'mem_or_null').
#include "corpus.h"

struct counters { __u64 packets; __u64 bytes; };

__noinline int account(struct counters *c, __u32 len)
{
	c->packets++;
	c->bytes += len;
	return 0;
}

struct counters totals;

SEC("tc")
int tc_account(struct __sk_buff *skb)
{
	struct counters local = {};
	account(&local, skb->len);
	totals.packets += local.packets;
	totals.bytes += local.bytes;
	return TC_ACT_OK;
}
