"""Canned images: real PNG and baseline JPEG files, decoded here without Pillow."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import time
import zlib

import pytest

from moto_bedrock_runtime.images import dimensions, render

SIZES = [(1, 1), (7, 13), (64, 64), (101, 53), (512, 512), (1024, 1024), (1536, 640)]


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk as (type, body), checking each CRC on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data)
    return chunks


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, RGB rows) of a filter-0, 8-bit RGB PNG."""
    chunks = _png_chunks(data)
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = 1 + 3 * width
    assert len(raw) == height * stride
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


class _DcJpeg:
    """A baseline JPEG decoder for images whose blocks carry DC coefficients only."""

    def __init__(self, data: bytes) -> None:
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
        self.quant: dict[int, list[int]] = {}
        self.huffman: dict[tuple[int, int], dict[str, int]] = {}
        pos = 2
        while True:
            marker, length = struct.unpack(">xBH", data[pos : pos + 4])
            body = data[pos + 4 : pos + 2 + length]
            pos += 2 + length
            if marker == 0xDB:
                self.quant[body[0] & 15] = list(body[1:65])
            elif marker == 0xC0:
                self.height, self.width = struct.unpack(">HH", body[1:5])
                self.components = [tuple(body[6 + 3 * i : 9 + 3 * i]) for i in range(body[5])]
            elif marker == 0xC4:
                self._read_dht(body)
            elif marker == 0xDA:
                self.scan = [tuple(body[1 + 2 * i : 3 + 2 * i]) for i in range(body[0])]
                assert body[-3:] == b"\x00\x3f\x00"
                self.entropy = data[pos:-2]
                break

    def _read_dht(self, body: bytes) -> None:
        while body:
            table, counts = body[0], body[1:17]
            values = iter(body[17 : 17 + sum(counts)])
            codes, code = {}, 0
            for length, count in enumerate(counts, start=1):
                for _ in range(count):
                    codes[format(code, f"0{length}b")] = next(values)
                    code += 1
                code <<= 1
            self.huffman[(table >> 4, table & 15)] = codes
            body = body[17 + sum(counts) :]

    def blocks(self) -> list[list[tuple[float, ...]]]:
        """Per block row, per block: the block's (Y, Cb, Cr)."""
        data = self.entropy
        assert all(data[i + 1] == 0 for i in range(len(data) - 1) if data[i] == 0xFF)
        bits = "".join(format(b, "08b") for b in data.replace(b"\xff\x00", b"\xff"))
        pos = 0

        def symbol(table: dict[str, int]) -> int:
            nonlocal pos
            for end in range(pos + 1, pos + 17):
                if bits[pos:end] in table:
                    value = table[bits[pos:end]]
                    pos = end
                    return value
            raise AssertionError("no Huffman code matches")

        def extend(size: int) -> int:
            nonlocal pos
            if size == 0:
                return 0
            raw = int(bits[pos : pos + size], 2)
            pos += size
            return raw if raw >= 1 << (size - 1) else raw - (1 << size) + 1

        tables = {cid: tq for cid, _, tq in self.components}
        predictions = [0] * len(self.scan)
        rows = []
        for _ in range((self.height + 7) // 8):
            row = []
            for _ in range((self.width + 7) // 8):
                block = []
                for i, (cid, selectors) in enumerate(self.scan):
                    predictions[i] += extend(symbol(self.huffman[(0, selectors >> 4)]))
                    assert symbol(self.huffman[(1, selectors & 15)]) == 0  # end of block
                    dc = predictions[i] * self.quant[tables[cid]][0]
                    block.append(dc / 8 + 128)
                row.append(tuple(block))
            rows.append(row)
        assert set(bits[pos:]) <= {"1"} and len(bits) - pos < 8  # only 1-bit padding is left
        return rows


def _rgb(y: float, cb: float, cr: float) -> tuple[float, float, float]:
    return (
        y + 1.402 * (cr - 128),
        y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
        y + 1.772 * (cb - 128),
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_png_is_valid_and_exactly_sized(width: int, height: int) -> None:
    data = render("a lighthouse at dusk", 7, width, height)
    assert _png_pixels(data)[:2] == (width, height)
    assert dimensions(data) == (width, height)


def test_png_is_deterministic_and_varies_with_seed_and_prompt() -> None:
    data = render("a lighthouse at dusk", 7, 64, 48)
    assert data == render("a lighthouse at dusk", 7, 64, 48, "PNG")
    rows = _png_pixels(data)[2]
    # Pixels pinned (zlib's output may differ between builds; the pixels may not).
    assert hashlib.sha256(b"".join(rows)).hexdigest()[:24] == "7b753c0126fff621ed5d4fb9"
    assert rows != _png_pixels(render("a lighthouse at dusk", 8, 64, 48))[2]
    assert rows != _png_pixels(render("a lighthouse at dawn", 7, 64, 48))[2]


def test_png_is_a_smooth_gradient() -> None:
    rows = _png_pixels(render("gradient", 1, 200, 100))[2]
    for row in (rows[0], rows[50], rows[-1]):
        for x in range(3, len(row), 3):
            assert all(abs(row[x + c] - row[x - 3 + c]) <= 2 for c in range(3))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_jpeg_decodes_to_the_png_colours(width: int, height: int) -> None:
    data = render("a lighthouse at dusk", 7, width, height, "jpeg")
    assert data[:4] == b"\xff\xd8\xff\xe0" and data[-2:] == b"\xff\xd9"
    assert b"\xff\xc0" in data and b"\xff\xc2" not in data  # baseline, not progressive
    assert dimensions(data) == (width, height)
    decoder = _DcJpeg(data)
    assert (decoder.width, decoder.height) == (width, height)
    assert [c[1] for c in decoder.components] == [0x11, 0x11, 0x11]  # 4:4:4
    png_rows = _png_pixels(render("a lighthouse at dusk", 7, width, height))[2]
    for by, row in enumerate(decoder.blocks()):
        y = min(8 * by + 4, height - 1)
        for bx, ycbcr in enumerate(row):
            x = min(8 * bx + 4, width - 1)
            expected = png_rows[y][3 * x : 3 * x + 3]
            assert all(abs(a - b) <= 3 for a, b in zip(_rgb(*ycbcr), expected, strict=True))


def test_jpeg_is_deterministic_and_varies_with_seed() -> None:
    data = render("a lighthouse at dusk", 7, 96, 64, "jpg")
    assert data == render("a lighthouse at dusk", 7, 96, 64, "jpeg")
    assert hashlib.sha256(data).hexdigest()[:24] == "43c481658d5cfb6098d1a13d"
    assert data != render("a lighthouse at dusk", 8, 96, 64, "jpeg")


@pytest.mark.skipif(shutil.which("djpeg") is None, reason="djpeg (libjpeg-turbo-progs) absent")
def test_jpeg_decodes_with_libjpeg() -> None:
    data = render("a lighthouse at dusk", 7, 101, 53, "jpeg")
    ppm = subprocess.run(["djpeg", "-ppm"], input=data, capture_output=True, check=True).stdout
    assert ppm.startswith(b"P6\n101 53\n255\n")
    assert len(ppm) == len(b"P6\n101 53\n255\n") + 101 * 53 * 3


def test_large_images_render_fast() -> None:
    for fmt in ("png", "jpeg"):
        start = time.perf_counter()
        render("a wide landscape", 3, 1024, 1024, fmt)
        # About 0.1 s here; the bound only catches a slide into per-pixel Python loops.
        assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("fmt", ["webp", "gif", "bmp"])
def test_unsupported_formats(fmt: str) -> None:
    with pytest.raises(ValueError, match="unsupported format"):
        render("x", 1, 8, 8, fmt)


def test_bad_sizes() -> None:
    for width, height in [(0, 8), (8, -1)]:
        with pytest.raises(ValueError):
            render("x", 1, width, height)
    with pytest.raises(ValueError):
        render("x", 1, 70000, 8, "jpeg")


def _riff(chunk: bytes, body: bytes) -> bytes:
    payload = b"WEBP" + chunk + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def test_dimensions_of_handmade_headers() -> None:
    gif = b"GIF89a" + struct.pack("<HH", 320, 240) + b"\x00" * 8
    assert dimensions(gif) == (320, 240)
    assert dimensions(b"GIF87a" + struct.pack("<HH", 1, 2)) == (1, 2)
    lossy = _riff(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 1024, 768) + bytes(8))
    assert dimensions(lossy) == (1024, 768)
    lossless = _riff(b"VP8L", b"\x2f" + struct.pack("<I", (640 - 1) | (480 - 1) << 14) + bytes(8))
    assert dimensions(lossless) == (640, 480)
    extended = _riff(b"VP8X", b"\x10\x00\x00\x00" + (1999).to_bytes(3, "little") * 2)
    assert dimensions(extended) == (2000, 2000)


def test_dimensions_skips_jpeg_segments_and_fill_bytes() -> None:
    app1 = b"\xff\xe1" + struct.pack(">H", 6) + b"Exif"
    sof2 = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, 480, 640, 1) + b"\x01\x11\x00"
    assert dimensions(b"\xff\xd8" + app1 + b"\xff\xff" + sof2 + b"\xff\xd9") == (640, 480)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world, not an image",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff\xda\x00\x02",
        b"\xff\xd8\x00\x00\x00\x00",
        _riff(b"VP8 ", bytes(16)),
    ],
)
def test_dimensions_rejects_unknown_or_truncated_data(data: bytes) -> None:
    with pytest.raises(ValueError):
        dimensions(data)
