"""Deterministic placeholder images, and reading an image's size from its header.

Image models (Stability, Titan Image, Nova Canvas) must answer with real files that clients can
decode, save and measure, of exactly the size asked for, and the same for the same prompt and
seed. Each image is a smooth bilinear gradient between four corner colours taken from a digest
of (prompt, seed): different prompts and seeds look different, and nothing needs Pillow.

- PNG: RGB 8-bit, filter 0, one zlib-compressed IDAT. Rows are built with ``bytes.translate``
  on a row of gradient positions, and rows at the same gradient height are shared, so a
  1024x1024 image costs a few dozen milliseconds.
- JPEG: baseline, YCbCr 4:4:4. Every 8x8 block is one flat colour, so only DC coefficients are
  coded: the standard DC Huffman tables of Annex K, and AC tables holding just end-of-block.
  The result is a blocky version of the same gradient, valid for any baseline decoder.
- WEBP is not rendered: even a flat lossless VP8L needs its own bit-level encoder, so it is
  refused with ``ValueError("unsupported format")``.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib

Colour = tuple[int, int, int]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Gradient positions run 0..255 along each axis.
_LEVELS = 255
_JPEG_MAX_SIDE = 65535
# Every coefficient is quantized by 8, so a block's DC coefficient is its mean sample - 128.
_JPEG_QUANT = 8
# Annex K.3 standard DC tables: code lengths 1-16 (BITS) and the categories they code.
_DC_LUMA_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_CHROMA_BITS = (0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0)
_DC_VALUES = tuple(range(12))
# One symbol, end-of-block (0x00), with a 1-bit code: all an all-DC image ever uses.
_AC_EOB_BITS = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
_AC_EOB_VALUES = (0,)
# SOFn markers that carry a frame's size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_JPEG_STANDALONE = frozenset([0x01, *range(0xD0, 0xD9)])


def render(prompt: str, seed: int, width: int, height: int, fmt: str = "png") -> bytes:
    """A valid PNG or baseline JPEG of exactly width x height, the same for the same inputs."""
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    kind = fmt.lower()
    corners = _corners(prompt, seed)
    if kind == "png":
        return _png(corners, width, height)
    if kind in ("jpeg", "jpg"):
        if max(width, height) > _JPEG_MAX_SIDE:
            raise ValueError("a JPEG side is at most 65535 pixels")
        return _jpeg(corners, width, height)
    raise ValueError("unsupported format")


def dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) read from a PNG, JPEG, GIF or WEBP header, without decoding pixels."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_dimensions(data)
    raise ValueError("not a PNG, JPEG, GIF or WEBP image")


def _corners(prompt: str, seed: int) -> tuple[Colour, Colour, Colour, Colour]:
    """Top-left, top-right, bottom-left and bottom-right colours from a digest of the inputs."""
    digest = hashlib.sha256(f"{seed}\x1f{prompt}".encode()).digest()
    c = [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 12, 3)]
    return c[0], c[1], c[2], c[3]


def _levels(size: int) -> list[int]:
    """Gradient position (0..255) of each pixel along an axis."""
    return [i * _LEVELS // max(size - 1, 1) for i in range(size)]


def _channel_tables(corners: tuple[Colour, ...], v: int) -> list[bytes]:
    """For gradient height v, per channel: a table mapping horizontal position u to its value."""
    top_left, top_right, bottom_left, bottom_right = corners
    tables = []
    for ch in range(3):
        left = top_left[ch] * (_LEVELS - v) + bottom_left[ch] * v
        right = top_right[ch] * (_LEVELS - v) + bottom_right[ch] * v
        span = _LEVELS * _LEVELS
        tables.append(bytes((left * (_LEVELS - u) + right * u) // span for u in range(256)))
    return tables


def _png(corners: tuple[Colour, ...], width: int, height: int) -> bytes:
    positions = bytes(_levels(width))
    rows: dict[int, bytes] = {}
    scanlines = []
    for v in _levels(height):
        row = rows.get(v)
        if row is None:
            pixels = bytearray(3 * width)
            for ch, table in enumerate(_channel_tables(corners, v)):
                pixels[ch::3] = positions.translate(table)
            row = rows[v] = b"\x00" + bytes(pixels)  # filter type 0 (None)
        scanlines.append(row)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(b"".join(scanlines), 6)),
            _png_chunk(b"IEND", b""),
        ]
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _jpeg(corners: tuple[Colour, ...], width: int, height: int) -> bytes:
    columns = (width + 7) // 8
    blocks_down = (height + 7) // 8
    # The colour of a block is the gradient's colour at the block's centre pixel.
    u_levels = _levels(width)
    u_of_column = [u_levels[min(8 * i + 4, width - 1)] for i in range(columns)]
    v_levels = _levels(height)
    luma_codes = _dc_codes(_DC_LUMA_BITS)
    chroma_codes = _dc_codes(_DC_CHROMA_BITS)
    eob = _huffman_codes(_AC_EOB_BITS, _AC_EOB_VALUES)[0]
    bits: list[str] = []
    previous = [0, 0, 0]
    for row in range(blocks_down):
        red, green, blue = _channel_tables(corners, v_levels[min(8 * row + 4, height - 1)])
        for u in u_of_column:
            samples = _ycbcr(red[u], green[u], blue[u])
            for ch, sample in enumerate(samples):
                dc = sample - 128  # the block's mean sample - 128 = DC coefficient / 8
                codes = luma_codes if ch == 0 else chroma_codes
                bits.append(codes[dc - previous[ch]])
                bits.append(eob)
                previous[ch] = dc
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)  # pad the last byte with 1-bits, as T.81 asks
    entropy = int(stream, 2).to_bytes(len(stream) // 8, "big") if stream else b""
    entropy = entropy.replace(b"\xff", b"\xff\x00")  # byte stuffing
    return b"".join(
        [
            b"\xff\xd8",
            _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _jpeg_segment(0xDB, b"\x00" + bytes([_JPEG_QUANT] * 64)),
            _jpeg_segment(
                0xC0,
                struct.pack(">BHHB", 8, height, width, 3)
                + bytes([1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]),
            ),
            _jpeg_segment(
                0xC4,
                _dht(0x00, _DC_LUMA_BITS, _DC_VALUES)
                + _dht(0x10, _AC_EOB_BITS, _AC_EOB_VALUES)
                + _dht(0x01, _DC_CHROMA_BITS, _DC_VALUES)
                + _dht(0x11, _AC_EOB_BITS, _AC_EOB_VALUES),
            ),
            _jpeg_segment(0xDA, bytes([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0])),
            entropy,
            b"\xff\xd9",
        ]
    )


def _ycbcr(r: int, g: int, b: int) -> tuple[int, int, int]:
    """JFIF's RGB to YCbCr, in fixed point."""
    y = (77 * r + 150 * g + 29 * b + 128) >> 8
    cb = ((-43 * r - 85 * g + 128 * b + 128) >> 8) + 128
    cr = ((128 * r - 107 * g - 21 * b + 128) >> 8) + 128
    return min(max(y, 0), 255), min(max(cb, 0), 255), min(max(cr, 0), 255)


def _jpeg_segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def _dht(table: int, bits: tuple[int, ...], values: tuple[int, ...]) -> bytes:
    return bytes([table, *bits, *values])


def _huffman_codes(bits: tuple[int, ...], values: tuple[int, ...]) -> dict[int, str]:
    """Canonical Huffman codes (T.81 Annex C): symbol -> code as a string of 0s and 1s."""
    codes: dict[int, str] = {}
    code = 0
    symbols = iter(values)
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[next(symbols)] = format(code, f"0{length}b")
            code += 1
        code <<= 1
    return codes


@functools.cache
def _dc_codes(bits: tuple[int, ...]) -> dict[int, str]:
    """DC difference -> its category's code followed by the difference's extra bits."""
    categories = _huffman_codes(bits, _DC_VALUES)
    codes = {0: categories[0]}
    for diff in range(1, 256):
        size = diff.bit_length()
        codes[diff] = categories[size] + format(diff, f"0{size}b")
        # Negative differences are coded as diff - 1 in `size` bits (ones' complement).
        codes[-diff] = categories[size] + format((1 << size) - 1 - diff, f"0{size}b")
    return codes


def _jpeg_dimensions(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("corrupt JPEG: expected a marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        if marker == 0xDA:  # start of scan before any frame header
            break
        pos += 2 + length
    raise ValueError("JPEG without a frame header")


def _webp_dimensions(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        (packed,) = struct.unpack("<I", data[21:25])
        return (packed & 0x3FFF) + 1, ((packed >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise ValueError("WEBP without a VP8, VP8L or VP8X header")
