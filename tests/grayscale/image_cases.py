# The images grayscale's tests convert, generated on the spot with PIL (no downloads), and what
# each output must be. Every case the issue lists is here: sizes and formats, nested folders,
# same base names, upper-case extensions, unicode and spaces, EXIF rotation, progressive and CMYK
# JPEG, alpha and 16-bit PNG, and bad files with the reason they must fail with.
import os
import random
import struct
import zlib

from PIL import Image, ImageOps

# Relative path of a bad input -> a word its failure reason must contain.
BAD_FILES = {
    "bad/empty.jpg": "empty file",
    "bad/truncated.jpg": "truncated",
    "bad/text.jpg": "not an image",
    "bad/random.png": "not an image",
    "bad/huge.png": "too large",
    "bad/truncated.png": "truncated",
}


def scene(width, height, seed):
    """A smooth colour picture with some texture, so JPEG behaves as on a photo, not a flat card."""
    rng = random.Random(seed)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    base = Image.new("RGB", (width, height))
    pixels = []
    for y in range(height):
        for x in range(width):
            d = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
            pixels.append(((x * 255) // max(1, width - 1), (y * 255) // max(1, height - 1),
                           int(127 + 120 * ((d / 17.0) % 2 - 1) ** 2) % 256))
    base.putdata(pixels)
    return base


def exif_with_orientation(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_16bit(path, width, height, channels, sample):
    """Writes a 16-bit PNG (PIL cannot write 16-bit RGB) where sample(x, y, c) gives each value."""
    color_type = {1: 0, 3: 2}[channels]
    rows = b"".join(b"\0" + b"".join(struct.pack(">H", sample(x, y, c)) for x in range(width)
                                     for c in range(channels)) for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)))
        f.write(png_chunk(b"IDAT", zlib.compress(rows)))
        f.write(png_chunk(b"IEND", b""))


def write_tree(root):
    """Creates the input tree under root; returns {relative path: Expectation} for good inputs."""
    expected = {}

    def put(relative, image, check, **save):
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        image.save(path, **save)
        expected[relative] = check

    sizes = [(64, 48), (333, 211), (640, 480), (97, 1201), (1, 1)]
    for i, (w, h) in enumerate(sizes):
        put(f"sizes/photo_{w}x{h}.jpg", scene(w, h, i), "lossy", quality=95)
    put("formats/scene.png", scene(200, 150, 10), "exact")
    put("formats/scene.bmp", scene(200, 150, 11), "exact")
    put("formats/scene.tif", scene(200, 150, 12), "exact")
    put("formats/scene.tiff", scene(120, 90, 13), "exact", compression="tiff_lzw")
    put("formats/scene.webp", scene(200, 150, 14), "lossy", quality=90)
    put("formats/scene.jpeg", scene(200, 150, 15), "lossy", quality=90)
    put("formats/gray.png", scene(150, 100, 16).convert("L"), "exact")
    put("formats/palette.png", scene(150, 100, 17).convert("P"), "exact")
    # Same base name in different folders: two different outputs.
    put("a/same.jpg", scene(120, 80, 20), "lossy", quality=95)
    put("b/same.jpg", scene(120, 80, 21).transpose(Image.Transpose.FLIP_LEFT_RIGHT), "lossy", quality=95)
    put("deep/er/and/deeper/leaf.png", scene(60, 40, 22), "exact")
    # Upper-case extensions.
    put("upper/SHOUT.JPG", scene(100, 70, 30), "lossy", quality=95)
    put("upper/Mixed.Png", scene(100, 70, 31), "exact")
    put("upper/LOUD.JPEG", scene(100, 70, 32), "lossy", quality=95)
    # Unicode and spaces.
    put("unicode/café au lait ü.jpg", scene(90, 60, 40), "lossy", quality=95)
    put("unicode/日本 語/写真 1.png", scene(90, 60, 41), "exact")
    # A directory named like an image is walked into, not taken as an image.
    put("folder.jpg/inside.png", scene(50, 50, 42), "exact")
    # EXIF orientation 6: displayed rotated 90 degrees clockwise.
    exif = Image.Exif()
    exif[0x0112] = 6
    put("jpeg/rotated.jpg", scene(160, 90, 50), "lossy", quality=95, exif=exif.tobytes())
    # Every EXIF orientation, in JPEG, and in the other formats that carry one (PNG eXIf, WebP
    # EXIF, TIFF's own tag), with alpha too: the output displays as the input does.
    for orientation in (2, 3, 4, 5, 7, 8):
        put(f"orientation/jpeg-{orientation}.jpg", scene(64, 40, 80 + orientation), "lossy", quality=95,
            exif=exif_with_orientation(orientation))
    put("orientation/png-6.png", scene(64, 40, 90), "exact", exif=exif_with_orientation(6))
    put("orientation/webp-8.webp", scene(64, 40, 91), "lossy", quality=90, exif=exif_with_orientation(8))
    put("orientation/tiff-3.tif", scene(64, 40, 92), "exact", tiffinfo={0x0112: 3})
    put("orientation/tiff-5.tiff", scene(64, 40, 93), "exact", tiffinfo={0x0112: 5})
    rotated_rgba = scene(64, 40, 94)
    rotated_rgba.putalpha(Image.linear_gradient("L").resize((64, 40)))
    put("orientation/rgba-7.png", rotated_rgba, "alpha", exif=exif_with_orientation(7))
    put("jpeg/progressive.jpg", scene(300, 200, 51), "lossy", quality=95, progressive=True)
    put("jpeg/cmyk.jpg", scene(200, 120, 52).convert("CMYK"), "lossy", quality=95)
    # Alpha: kept (PNG as gray+alpha, WebP as RGBA).
    rgba = scene(128, 96, 60)
    rgba.putalpha(Image.linear_gradient("L").resize((128, 96)))
    put("alpha/rgba.png", rgba, "alpha")
    put("alpha/rgba.webp", rgba, "alpha_lossy", lossless=True)
    gray_alpha = scene(64, 64, 61).convert("LA")
    put("alpha/gray_alpha.png", gray_alpha, "alpha")
    # 16-bit PNG, gray and RGB.
    os.makedirs(os.path.join(root, "deep16"), exist_ok=True)
    png_16bit(os.path.join(root, "deep16/gray16.png"), 80, 60, 1, lambda x, y, c: (x * 800 + y * 17) % 65536)
    expected["deep16/gray16.png"] = "gray16"
    png_16bit(os.path.join(root, "deep16/rgb16.png"), 80, 60, 3,
              lambda x, y, c: ((x + 3 * y) * (c + 1) * 257) % 65536)
    expected["deep16/rgb16.png"] = "rgb16"
    # Not images: skipped without a word.
    with open(os.path.join(root, "formats/notes.txt"), "w") as f:
        f.write("not an image\n")
    os.symlink("..", os.path.join(root, "deep/loop"))  # a symlink loop
    write_bad_files(root)
    return expected


def write_bad_files(root):
    os.makedirs(os.path.join(root, "bad"), exist_ok=True)
    open(os.path.join(root, "bad/empty.jpg"), "wb").close()
    good = os.path.join(root, "bad/.whole.jpg.tmp")
    scene(300, 200, 70).save(good, "JPEG", quality=95)
    with open(good, "rb") as f:
        data = f.read()
    os.remove(good)
    with open(os.path.join(root, "bad/truncated.jpg"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(root, "bad/text.jpg"), "w") as f:
        f.write("this is text, named like a JPEG\n" * 20)
    with open(os.path.join(root, "bad/random.png"), "wb") as f:
        f.write(random.Random(7).randbytes(5000))
    # A valid PNG header claiming 100000 x 100000 pixels (10^10 > 2^30), a few bytes of data.
    with open(os.path.join(root, "bad/huge.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)))
        f.write(png_chunk(b"IDAT", zlib.compress(b"\0" * 100)))
        f.write(png_chunk(b"IEND", b""))
    png = os.path.join(root, "bad/.whole.png.tmp")
    Image.frombytes("RGB", (200, 200), random.Random(8).randbytes(200 * 200 * 3)).save(png, "PNG")
    with open(png, "rb") as f:
        data = f.read()
    os.remove(png)
    with open(os.path.join(root, "bad/truncated.png"), "wb") as f:
        f.write(data[: len(data) // 2])


def displayed(source_path):
    """The input as a viewer shows it: EXIF orientation applied."""
    with Image.open(source_path) as image:
        image.load()
        # PIL turns a TIFF upright as it loads it (its tag still reads as before), the others not.
        if image.format == "TIFF":
            return image.copy()
        return ImageOps.exif_transpose(image)


def expected_luma(source_path):
    """PIL's convert('L') of the input as displayed (EXIF orientation applied)."""
    return displayed(source_path).convert("L")
