#!/usr/bin/env python3
"""Writes the hostile image corpus into OUT (default artifacts/corpus) with corpus.json, which says what
SwinFace.Stress `corpus` must get from each file: "result", "error" (a SwinFaceImageException) or "any",
and, where it is known, the size after EXIF orientation and whether damage must be reported.

Every format the loader accepts is written whole, then cut at several points and bit-flipped; then
decompression bombs, headers that claim huge sizes, EXIF blocks, all 8 orientations, and non-images.
Generators: Pillow (python3-pil) and hand-written encoders here for what Pillow cannot write (16-bit RGB
and interlaced PNG, RLE8 BMP, bombs). Deterministic: the same files every run (seeded).

usage: make-corpus.py [OUT] [--photo PATH]
"""
import io
import json
import os
import random
import struct
import sys
import zipfile
import zlib

from PIL import Image, ImageDraw

args = [a for a in sys.argv[1:]]
photo = None
if "--photo" in args:
    i = args.index("--photo")
    photo = args[i + 1]
    del args[i:i + 2]
out = args[0] if args else "artifacts/corpus"
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))
entries = []
rng = random.Random(20240612)


def put(name, data, kind, expect, **extra):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    entries.append(dict(file=name, kind=kind, expect=expect, **extra))


def source():
    if photo and os.path.exists(photo):
        im = Image.open(photo).convert("RGB")
        return im.resize((320, 320))
    # No photo: a drawn stand-in with a face-like layout, which still exercises every decoder.
    im = Image.new("RGB", (320, 320), (90, 120, 160))
    d = ImageDraw.Draw(im)
    d.ellipse((90, 60, 230, 240), fill=(224, 180, 150))
    d.ellipse((120, 120, 140, 135), fill=(40, 30, 30))
    d.ellipse((180, 120, 200, 135), fill=(40, 30, 30))
    d.rectangle((135, 195, 185, 205), fill=(150, 60, 60))
    return im


base = source()
W, H = base.size


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, rows, bit_depth, color_type, interlace=False, palette=None, idat=None):
    """A PNG from rows of raw bytes (filter type 0 is added here); Adam7 when interlace."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    if idat is None:
        if interlace:
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
            bpp = channels * bit_depth
            raw = b""
            for xs, ys, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
                for y in range(ys, height, dy):
                    bits = "".join(format(v, "0%db" % bit_depth) for x in range(xs, width, dx) for v in rows[y][x])
                    if not bits:
                        continue
                    bits += "0" * (-len(bits) % 8)
                    raw += b"\0" + int(bits, 2).to_bytes(len(bits) // 8, "big")
        else:
            raw = b"".join(b"\0" + r for r in rows)
        idat = zlib.compress(raw, 9)
    body = chunk(b"IHDR", ihdr)
    if palette is not None:
        body += chunk(b"PLTE", palette)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pixels(im):
    return [[im.getpixel((x, y)) for x in range(im.size[0])] for y in range(im.size[1])]


def save(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def bmp_rle8(im):
    p = im.convert("P", palette=Image.ADAPTIVE, colors=256)
    w, h = p.size
    pal = p.getpalette()[:768]
    pal += [0] * (768 - len(pal))
    data = bytearray()
    for y in range(h - 1, -1, -1):
        row = [p.getpixel((x, y)) for x in range(w)]
        x = 0
        while x < w:
            run = 1
            while x + run < w and run < 255 and row[x + run] == row[x]:
                run += 1
            data += bytes([run, row[x]])
            x += run
        data += b"\0\0"
    data += b"\0\1"
    palette = b"".join(bytes([pal[3 * i + 2], pal[3 * i + 1], pal[3 * i], 0]) for i in range(256))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 1, len(data), 2835, 2835, 256, 0)
    return header + info + palette + bytes(data)


small = base.resize((64, 48))
frames = [base.rotate(a) for a in (0, 10, 20)]
gray = base.convert("L")
valid = {
    "jpeg-baseline.jpg": save(base, "JPEG", quality=90),
    "jpeg-progressive.jpg": save(base, "JPEG", quality=90, progressive=True),
    "jpeg-cmyk.jpg": save(base.convert("CMYK"), "JPEG", quality=90),
    "jpeg-gray.jpg": save(gray, "JPEG", quality=90),
    "png-rgb8.png": save(base, "PNG"),
    "png-rgba8.png": save(base.convert("RGBA"), "PNG"),
    "png-1bit.png": save(base.convert("1"), "PNG"),
    "png-gray16.png": png(64, 48, [b"".join(struct.pack(">H", v * 257) for v in row) for row in pixels(small.convert("L"))], 16, 0),
    "png-rgb16.png": png(64, 48, [b"".join(struct.pack(">HHH", *(c * 257 for c in px)) for px in row) for row in pixels(small)], 16, 2),
    "png-palette.png": save(base.convert("P", palette=Image.ADAPTIVE, colors=64), "PNG"),
    "png-interlaced.png": png(64, 48, pixels(small), 8, 2, interlace=True),
    "png-apng.png": save(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100),
    "gif-animated.gif": save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
    "webp-lossy.webp": save(base, "WEBP", quality=80),
    "webp-lossless.webp": save(base, "WEBP", lossless=True),
    "webp-animated.webp": save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100),
    "tiff-multipage-lzw.tif": save(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw"),
    "tiff-deflate.tif": save(base, "TIFF", compression="tiff_deflate"),
    "tiff-packbits.tif": save(base, "TIFF", compression="packbits"),
    "bmp-rle8.bmp": bmp_rle8(base),
    "bmp-rgb24.bmp": save(base, "BMP"),
    "tga-rle.tga": save(base, "TGA", compression="tga_rle"),
    "pbm-bilevel.pbm": save(base.convert("1"), "PPM"),
    "ppm-rgb.ppm": save(base, "PPM"),
}
sizes = {"png-rgb16.png": (64, 48), "png-gray16.png": (64, 48), "png-interlaced.png": (64, 48)}

# Formats whose end the loader checks, so a cut file must come back damaged when it decodes at all.
checked_end = ("jpeg-", "png-", "gif-", "webp-", "bmp-rgb24")
for name, data in valid.items():
    w, h = sizes.get(name, (W, H))
    put(name, data, "valid", "result", width=w, height=h, damaged=False)
    stem, ext = os.path.splitext(name)
    for fraction in (0.02, 0.25, 0.5, 0.75, 0.99):
        cut = max(1, int(len(data) * fraction))
        extra = {"damaged": True} if name.startswith(checked_end) else {}
        put(f"{stem}-cut{int(fraction * 100):02d}{ext}", data[:cut], "truncated", "any", **extra)
    put(f"{stem}-cut-header{ext}", data[:min(len(data) - 1, 24)], "truncated", "any")
    for k, flips in enumerate((1, 4, 16, 64, 256)):
        b = bytearray(data)
        # The first 64 bytes hold the headers: half the flips land there, where they do the most harm.
        for _ in range(flips):
            at = rng.randrange(min(64, len(b))) if rng.random() < 0.5 else rng.randrange(len(b))
            b[at] ^= 1 << rng.randrange(8)
        put(f"{stem}-flip{flips}{ext}", bytes(b), "bitflip", "any")

# Decompression bombs: small files that decode to many pixels. Within the default limit of 100 MP they
# decode (and take memory and time within the stated bounds); beyond it the header check refuses them.
def zero_rows(width, height, bpp):
    z = zlib.compressobj(9)
    row = b"\0" * (1 + width * bpp)
    return b"".join(z.compress(row) for _ in range(height)) + z.flush()
put("bomb-png-8000x8000.png", png(8000, 8000, None, 8, 2, idat=zero_rows(8000, 8000, 3)), "bomb", "result", width=8000, height=8000)
put("bomb-png-20000x20000.png", png(20000, 20000, None, 8, 2, idat=zero_rows(20000, 2000, 3)), "bomb", "error")
put("bomb-png-1x100000000.png", png(1, 100_000_000, None, 8, 0, idat=zlib.compress(b"\0\0" * 1000)), "bomb", "any")
put("bomb-gif-8000x8000.gif", save(Image.new("P", (8000, 8000), 0), "GIF"), "bomb", "result", width=8000, height=8000)
put("bomb-gif-2000-frames.gif", save(Image.new("P", (1000, 1000), 0), "GIF", save_all=True,
    append_images=[Image.new("P", (1000, 1000), i % 2) for i in range(1999)], duration=10), "bomb", "result", width=1000, height=1000)
put("bomb-webp-8000x8000.webp", save(Image.new("RGB", (8000, 8000)), "WEBP", lossless=True), "bomb", "result", width=8000, height=8000)
put("bomb-webp-200-frames.webp", save(Image.new("RGB", (1000, 1000)), "WEBP", lossless=True, save_all=True,
    append_images=[Image.new("RGB", (1000, 1000), (i, 0, 0)) for i in range(199)], duration=10), "bomb", "result", width=1000, height=1000)
put("bomb-tiff-8000x8000.tif", save(Image.new("RGB", (8000, 8000)), "TIFF", compression="tiff_deflate"), "bomb", "result", width=8000, height=8000)

# Headers that claim huge sizes, with almost no data behind them.
jpeg = bytearray(valid["jpeg-baseline.jpg"])
sof = jpeg.index(b"\xff\xc0")
jpeg[sof + 5:sof + 9] = struct.pack(">HH", 65500, 65500)
put("huge-jpeg-65500x65500.jpg", bytes(jpeg), "huge-header", "error")
jpeg[sof + 5:sof + 9] = struct.pack(">HH", 10000, 10000)
put("huge-jpeg-10000x10000-no-data.jpg", bytes(jpeg[:sof + 400]), "huge-header", "any", damaged=True)
put("huge-png-2147483647.png", png(2**31 - 1, 2**31 - 1, None, 8, 2, idat=zlib.compress(b"\0" * 100)), "huge-header", "error")
put("huge-png-0x0.png", png(0, 0, None, 8, 2, idat=zlib.compress(b"")), "huge-header", "error")
put("huge-gif-65535x65535.gif", b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0\0\0" + b"\x2c" + struct.pack("<HHHH", 0, 0, 65535, 65535) + b"\0\x02\x02\x4c\x01\0;", "huge-header", "error")
webp = bytearray(valid["webp-animated.webp"])
webp[24:30] = b"\xff\xff\xff\xff\xff\xff"
# Only the first frame is decoded, so a huge canvas with small frames is no bomb.
put("huge-webp-canvas-16m.webp", bytes(webp), "huge-header", "any")
bmp = bytearray(valid["bmp-rgb24.bmp"])
bmp[18:26] = struct.pack("<ii", 1_000_000, -1_000_000)
put("huge-bmp-1e6x1e6.bmp", bytes(bmp), "huge-header", "error")
put("huge-pbm.pbm", b"P4\n1000000000 1000000000\n" + b"\0" * 100, "huge-header", "error")
put("huge-ppm-maxval.ppm", b"P6\n100000 100000\n65535\n" + b"\0" * 100, "huge-header", "error")
tiff = bytearray(save(small, "TIFF"))
# ImageWidth (256) and ImageLength (257) entries of the first IFD, as LONGs.
ifd = struct.unpack("<I", tiff[4:8])[0]
for i in range(struct.unpack("<H", tiff[ifd:ifd + 2])[0]):
    e = ifd + 2 + 12 * i
    tag = struct.unpack("<H", tiff[e:e + 2])[0]
    if tag in (256, 257):
        tiff[e + 2:e + 12] = struct.pack("<HII", 4, 1, 2**31 - 1)
put("huge-tiff-2147483647.tif", bytes(tiff), "huge-header", "error")

# Empty and tiny files.
put("empty.jpg", b"", "empty", "error")
put("empty.png", b"", "empty", "error")
put("one-byte.gif", b"G", "empty", "error")
put("soi-only.jpg", b"\xff\xd8\xff", "empty", "error")
put("png-signature-only.png", b"\x89PNG\r\n\x1a\n", "empty", "error")

# EXIF: a maximal APP1 block, a PNG with a 16 MB eXIf chunk, an IFD claiming 65535 entries, and all 8 orientations.
exif = Image.Exif()
exif[0x010E] = "x" * 60000  # ImageDescription
put("exif-app1-64k.jpg", save(base, "JPEG", exif=exif.tobytes()), "exif", "result", width=W, height=H, damaged=False)
bogus_ifd = b"MM\0*\0\0\0\x08" + b"\xff\xff" + b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00" * 2000
put("exif-ifd-65535-entries.jpg", save(base, "JPEG", exif=b"Exif\0\0" + bogus_ifd), "exif", "any")
rgb8 = valid["png-rgb8.png"]
big_exif = b"MM\0*\0\0\0\x08\0\0" + b"\0" * (16 * 1024 * 1024)
put("exif-png-16mb.png", rgb8[:33] + chunk(b"eXIf", big_exif) + rgb8[33:], "exif", "any")
tall = base.crop((0, 0, W, H * 3 // 4))
for o in range(1, 9):
    e = Image.Exif()
    e[0x0112] = o
    ow, oh = tall.size
    size = (oh, ow) if o >= 5 else (ow, oh)
    put(f"orientation-{o}.jpg", save(tall, "JPEG", exif=e.tobytes()), "orientation", "result", width=size[0], height=size[1], damaged=False)
    put(f"orientation-{o}.png", save(tall, "PNG", exif=e.tobytes()), "orientation", "result", width=size[0], height=size[1], damaged=False)

# A progressive JPEG whose first scan repeats 600 times: libjpeg-turbo's scan limit, or bounded time.
prog = valid["jpeg-progressive.jpg"]
sos = prog.index(b"\xff\xda")
nxt = prog.index(b"\xff\xda", sos + 2)
put("jpeg-600-scans.jpg", prog[:nxt] + prog[sos:nxt] * 600 + prog[nxt:], "bomb", "any")

# Not images at all, some named as images.
put("text.jpg", b"This is not a picture.\n" * 40, "non-image", "error")
put("html.png", b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", "non-image", "error")
put("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>', "non-image", "error")
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.writestr("photo.jpg", valid["jpeg-baseline.jpg"])
put("archive.zip", z.getvalue(), "non-image", "error")
put("archive-named.jpg", z.getvalue(), "non-image", "error")
with open("/bin/true", "rb") as f:
    put("elf-binary.gif", f.read(), "non-image", "error")
put("pdf.png", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "non-image", "error")
put("random-bytes.bmp", bytes(rng.randrange(256) for _ in range(4096)), "non-image", "error")

with open(os.path.join(out, "corpus.json"), "w") as f:
    json.dump({"files": entries}, f, indent=1)
print(f"corpus: {len(entries)} files in {out}")
