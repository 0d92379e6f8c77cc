#!/usr/bin/python3
# Writes grayscale's demo image set: a few dozen deterministic pictures of mixed sizes (64 px to
# 2400 px wide) and formats (JPEG, progressive JPEG, PNG, PNG with alpha, WebP, TIFF, BMP), in
# nested folders, with repeated base names and one non-image file that must be skipped.
# Usage: make_sample_images.py OUTPUT_DIR [COUNT]   (Debian's python3-pil)
import os
import random
import sys

from PIL import Image, ImageChops, ImageDraw


def picture(width, height, rng):
    """Gradients, noise and shapes: cheap to make, and not flat, so codecs have work to do."""
    size = (width, height)
    red = Image.linear_gradient("L").resize(size).rotate(rng.choice([0, 90, 180, 270]))
    green = Image.radial_gradient("L").resize(size)
    blue = Image.effect_noise((max(1, width // 4), max(1, height // 4)), rng.uniform(20, 60)).resize(size)
    image = Image.merge("RGB", (red, green, ImageChops.add(blue, red, scale=2)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(4, max(5, min(width, height) // 4))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: make_sample_images.py OUTPUT_DIR [COUNT]")
    root = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 36
    rng = random.Random(2026)
    widths = [64, 320, 640, 1024, 1600, 2400]
    kinds = [("jpg", {"quality": 92}), ("jpg", {"quality": 85, "progressive": True}), ("png", {}),
             ("webp", {"quality": 85}), ("tif", {}), ("bmp", {}), ("png", {"alpha": True}), ("JPG", {"quality": 90})]
    folders = ["", "holidays", "holidays/day 2", "scans", "scans/old"]
    for i in range(count):
        width = widths[i % len(widths)]
        height = max(1, int(width * rng.choice([0.5, 0.66, 0.75, 1.0, 1.5])))
        extension, options = kinds[i % len(kinds)]
        options = dict(options)
        image = picture(width, height, rng)
        if options.pop("alpha", False):
            image.putalpha(Image.radial_gradient("L").resize(image.size))
        folder = os.path.join(root, folders[i % len(folders)])
        os.makedirs(folder, exist_ok=True)
        # Every seventh picture is called "photo", in several folders: outputs must not collide.
        name = "photo" if i % 7 == 0 else f"img_{i:02d}"
        image.save(os.path.join(folder, f"{name}.{extension}"), **options)
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("Demo images for grayscale; this text file is not an image and is skipped.\n")
    print(f"make_sample_images: {count} images under {root}")


if __name__ == "__main__":
    main()
