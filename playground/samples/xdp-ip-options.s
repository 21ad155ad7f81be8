; XDP, rejected: the first byte past the IPv4 header, found through the header's length
; field (IHL), is read without a new check against data_end. Step through the states: R5
; is known to be a multiple of 4 between 0 and 60 (its tnum), but R2 + R5 has r=0.
  r2 = *(u32 *)(r1 + 0)        ; ctx->data
  r3 = *(u32 *)(r1 + 4)        ; ctx->data_end
  r0 = 2                       ; XDP_PASS
  r4 = r2
  r4 += 34                     ; Ethernet and a minimal IPv4 header
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 14)        ; version and IHL
  r5 &= 0xf
  r5 <<= 2                     ; the IPv4 header's length in bytes: 0..60
  r2 += 14
  r2 += r5                     ; the first byte after the IPv4 header
  r6 = *(u8 *)(r2 + 0)         ; rejected: nothing proves this byte is in the packet
  if r6 != 0 goto out
  r0 = 1                       ; XDP_DROP
out:
  exit
