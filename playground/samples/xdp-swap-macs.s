; XDP: bounce every Ethernet frame back where it came from, with its MAC addresses swapped.
; The bounds check against data_end is what lets the verifier accept the loads and stores.
  r2 = *(u32 *)(r1 + 0)        ; ctx->data
  r3 = *(u32 *)(r1 + 4)        ; ctx->data_end
  r4 = r2
  r4 += 14
  if r4 > r3 goto pass         ; shorter than an Ethernet header
  r5 = *(u32 *)(r2 + 0)        ; destination MAC, bytes 0-3
  r6 = *(u16 *)(r2 + 4)        ; destination MAC, bytes 4-5
  r7 = *(u32 *)(r2 + 6)        ; source MAC, bytes 0-3
  r8 = *(u16 *)(r2 + 10)       ; source MAC, bytes 4-5
  *(u32 *)(r2 + 0) = r7
  *(u16 *)(r2 + 4) = r8
  *(u32 *)(r2 + 6) = r5
  *(u16 *)(r2 + 10) = r6
  r0 = 3                       ; XDP_TX
  exit
pass:
  r0 = 2                       ; XDP_PASS
  exit
