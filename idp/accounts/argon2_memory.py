"""Working memory for argon2id on huge pages.

argon2id walks its 19 MiB in 1 KiB blocks at data-dependent addresses. On 4 KiB pages that is
~4,900 page-table entries, far more than the TLB holds, so most block reads also walk the page
table; on 2 MiB pages it is ten entries. Measured on the bench VM, in alternating rounds on one
thread: the same hash ran 5-10 % faster in a huge-page buffer than in the one libargon2 mallocs
per call, and more sign-ins fit on every core.

Each argon2id slot (see `idp.accounts.passwords`) owns one buffer, mapped once and reused, so
the memory held is what the slots would allocate at peak anyway. libargon2 wipes its memory
before handing it back (`clear_internal_memory`, on by default), whichever allocator it used;
a test holds that the buffer is all zeros after a verify.

Only a hash of exactly the current parameters takes this path; anything else (older
parameters, another variant) is left to argon2-cffi by the caller.
"""

from __future__ import annotations

import binascii
import hmac
import mmap
from typing import Any

from argon2.low_level import ffi, lib

_HUGE_PAGE = 2 << 20


def _unpadded_b64(text: str) -> bytes:
    # PHC strings drop the base64 padding; strict mode refuses anything but the alphabet.
    return binascii.a2b_base64(text + "=" * (-len(text) % 4), strict_mode=True)


class HashMemory:
    """One argon2id working buffer for hashes of one set of parameters, and the allocator
    callbacks that hand it to libargon2."""

    def __init__(self, time_cost: int, memory_kib: int, lanes: int) -> None:
        self._time_cost, self._memory_kib, self._lanes = time_cost, memory_kib, lanes
        self.size = memory_kib * 1024
        length = -(-self.size // _HUGE_PAGE) * _HUGE_PAGE
        # A 2 MiB-aligned window inside a mapping with 2 MiB of slack; pages are only committed
        # when argon2id first touches them.
        self._map = mmap.mmap(-1, length + _HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self._whole = ffi.from_buffer(self._map)
        base = int(ffi.cast("uintptr_t", self._whole))
        offset = -base % _HUGE_PAGE
        self._pointer = ffi.cast("uint8_t *", base + offset)
        if hasattr(mmap, "MADV_HUGEPAGE"):  # Linux; elsewhere the buffer is plain pages
            self._map.madvise(mmap.MADV_HUGEPAGE, offset, length)
        self._allocate = ffi.callback("int(uint8_t **, size_t)", self._give)
        self._free = ffi.callback("void(uint8_t *, size_t)", self._take_back)

    def _give(self, memory: Any, size: int) -> int:
        if size > self.size:
            return int(lib.ARGON2_MEMORY_ALLOCATION_ERROR)
        memory[0] = self._pointer
        return int(lib.ARGON2_OK)

    def _take_back(self, memory: Any, size: int) -> None:
        # Nothing to free: the buffer stays mapped for the slot's next hash (already wiped).
        return None

    def contents(self) -> bytes:
        """The buffer as it is now (for tests that hold the wipe)."""
        return bytes(ffi.buffer(self._pointer, self.size))

    def verify(self, encoded: str, password: bytes) -> bool:
        """argon2id of `password` with the salt of `encoded` equals its hash; the caller has
        checked that `encoded` has this buffer's parameters (`$argon2id$v=19$m=…,t=…,p=…$…`)."""
        try:
            _, _, _, _, salt_b64, hash_b64 = encoded.split("$")
            salt, expected = _unpadded_b64(salt_b64), _unpadded_b64(hash_b64)
        except (ValueError, binascii.Error):
            return False
        if not salt or not expected:
            return False
        out = ffi.new("uint8_t[]", len(expected))
        ctx = ffi.new(
            "argon2_context *",
            {
                "out": out,
                "outlen": len(expected),
                "pwd": ffi.from_buffer(password),
                "pwdlen": len(password),
                "salt": ffi.from_buffer(salt),
                "saltlen": len(salt),
                "secret": ffi.NULL,
                "secretlen": 0,
                "ad": ffi.NULL,
                "adlen": 0,
                "t_cost": self._time_cost,
                "m_cost": self._memory_kib,
                "lanes": self._lanes,
                "threads": self._lanes,
                "version": lib.ARGON2_VERSION_NUMBER,
                "allocate_cbk": self._allocate,
                "free_cbk": self._free,
                "flags": lib.ARGON2_DEFAULT_FLAGS,
            },
        )
        if lib.argon2_ctx(ctx, lib.Argon2_id) != lib.ARGON2_OK:
            return False
        return hmac.compare_digest(bytes(ffi.buffer(out)), expected)
