/**
 * @fileoverview BPF_MAP_TYPE_HASH_OF_MAPS: a hash map whose values are inner maps. As
 * for array_of_maps, userspace writes and reads a map's id (the kernel takes an fd and
 * gives back an id); a program's lookup gives the inner map's handle, which the map
 * helpers take as a map.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { HashMap } from "./hash.js";
import { Errno, mapById, type UserMapSpec } from "./map.js";

export class HashOfMapsMap extends HashMap {
  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec, {
      perCpu: false, lru: false,
      checkValue: (value) => {
        const id = (value[0]! | (value[1]! << 8) | (value[2]! << 16) | (value[3]! << 24)) >>> 0;
        return mapById(space, id) ? 0 : -Errno.EBADF;
      },
    });
  }

  /** The inner map's handle, or 0. */
  override lookupElem(keyAddr: number): number {
    const at = super.lookupElem(keyAddr);
    if (at === 0) return 0;
    return mapById(this.space, this.space.view.getUint32(at, true))?.handle ?? 0;
  }

  /** Programs may not update or delete entries of a map-in-map (the verifier refuses it). */
  override updateElem(): number {
    return -Errno.EINVAL;
  }
}
