; XDP, rejected: the value bpf_map_lookup_elem returns is used without checking it
; against NULL (the key may be absent). Step to the failing instruction: R0 is
; map_value_or_null there; adding `if r0 == 0 goto pass` before it makes it a map_value.
.map counts array 4 8 4
  r1 = 0
  *(u32 *)(r10 - 4) = r1       ; key 0
  r1 = map[counts] ll
  r2 = r10
  r2 += -4
  call 1                       ; bpf_map_lookup_elem(&counts, &key)
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1  ; rejected: r0 may be NULL
pass:
  r0 = 2                       ; XDP_PASS
  exit
