// Near miss: a cgroup_skb ingress program copied from a tc one returns TC_ACT_SHOT (2), outside
// the allowed 0 (drop) / 1 (allow) (the kernel: At program exit the register R0 has ... should
// have been in [0, 1]).
#include "corpus.h"

SEC("cgroup_skb/ingress")
int ingress_drop_big(struct __sk_buff *skb)
{
	return skb->len > 9000 ? TC_ACT_SHOT : 1;
}
