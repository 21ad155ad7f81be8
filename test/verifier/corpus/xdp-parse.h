/* Bounds-checked header cursor shared by the XDP/tc corpus programs, as most XDP projects
 * keep one (a pointer moved past each header after comparing with data_end). */
#pragma once
#include "corpus.h"

struct hdr_cursor { void *pos; };

static __always_inline int parse_ethhdr(struct hdr_cursor *c, void *end, struct ethhdr **eth)
{
	struct ethhdr *h = c->pos;
	if ((void *)(h + 1) > end)
		return -1;
	c->pos = h + 1;
	*eth = h;
	return h->h_proto;
}
