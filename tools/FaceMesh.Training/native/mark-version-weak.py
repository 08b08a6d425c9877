#!/usr/bin/env python3
"""mark-version-weak.py LIB VERSION: sets VER_FLG_WEAK on LIB's version-need entry VERSION (e.g.
GLIBCXX_3.4.32), so the dynamic loader accepts a libstdc++ that lacks it. Edits the ELF64 file in place;
prints what it did. Part of patch-torchsharp.sh."""
import struct, sys

path, wanted = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "a little-endian ELF64 file is expected"
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
SHT_GNU_VERNEED, VER_FLG_WEAK = 0x6FFFFFFE, 0x2
for name, stype, flags, addr, offset, size, link, info, align, entsize in sections:
    if stype != SHT_GNU_VERNEED:
        continue
    strtab = sections[link][4]
    def string(at):
        end = data.index(b"\0", strtab + at)
        return bytes(data[strtab + at:end])
    entry = offset
    for _ in range(info):
        version, count, file, aux, nxt = struct.unpack_from("<HHIII", data, entry)
        a = entry + aux
        for _ in range(count):
            hash_, aflags, other, aname, anext = struct.unpack_from("<IHHII", data, a)
            if string(aname) == wanted:
                struct.pack_into("<H", data, a + 4, aflags | VER_FLG_WEAK)
                open(path, "wb").write(data)
                print(f"{path}: {wanted.decode()} (needed from {string(file).decode()}) marked weak")
                sys.exit(0)
            a += anext
        entry += nxt
sys.exit(f"{path}: no version need {wanted.decode()}")
