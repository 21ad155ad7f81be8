; Socket filter: keep IPv4 frames whole, drop the rest (a return of 0 keeps no bytes).
  r6 = r1
  r0 = *(u16 *)(r6 + 16)       ; skb->protocol, network order
  r0 = be16 r0
  if r0 != 0x800 goto drop
  r0 = *(u32 *)(r6 + 0)        ; skb->len: keep it all
  exit
drop:
  r0 = 0
  exit
