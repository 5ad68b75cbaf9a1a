"""Image bytes made by hand where Pillow cannot make them: huge PNGs in a few kilobytes, an ICC
profile with swapped primaries, and a look inside a WebP's RIFF container."""

import struct
import zlib


def handmade_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of any size, all black: megapixels in a few kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the row's bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def swapped_primaries_profile() -> bytes:
    """An ICC v2 RGB profile (matrix/TRC) whose red primary is sRGB's green and vice versa.

    Pure red in this space is pure green in sRGB, so the avatar shows whether the embedded
    profile was honoured.
    """

    def s15_16(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + s15_16(x) + s15_16(y) + s15_16(z)

    gamma = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)  # gamma 2.2
    d50 = (0.9642, 1.0, 0.8249)
    tags = [
        (b"wtpt", xyz(*d50)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),  # sRGB's green primary (D50)
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),  # sRGB's red primary
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + xyz(*d50)[8:]
        + bytes(48)
    )
    return header + struct.pack(">I", len(tags)) + table + data


def riff_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a WebP file (RIFF container)."""
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    kinds, offset = [], 12
    while offset + 8 <= len(data):
        kind, size = (
            data[offset : offset + 4],
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        kinds.append(kind)
        offset += 8 + size + (size & 1)
    return kinds
