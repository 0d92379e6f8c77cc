#!/usr/bin/python3
"""The benchmarks' small-file set: COUNT JPEG thumbnails (96x64 by default), flat in OUT_DIR, the
same bytes on every run for a given seed.

Each image is a window cut from one of a few large generated textures (smooth shapes, some detail
and a little grain, as in a downscaled photograph), so the files compress like real thumbnails
(a few kB each) and differ from one another. The textures are made once by scaling random pixels
up, not drawn pixel by pixel, so 20 000 images take seconds.
Needs Debian's python3-pil (launch/install-deps.sh).
"""
import argparse
import os
import random
import sys

from PIL import Image

TEXTURE_SIDE = 1024
TEXTURES = 4


def texture(rng):
    """Random colours at three scales, scaled up and blended: large smooth areas, medium detail,
    fine grain."""
    def layer(side):
        return Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).resize(
            (TEXTURE_SIDE, TEXTURE_SIDE), Image.Resampling.BICUBIC)
    shapes = layer(12)
    detail = layer(96)
    grain = Image.frombytes("RGB", (TEXTURE_SIDE, TEXTURE_SIDE), rng.randbytes(TEXTURE_SIDE * TEXTURE_SIDE * 3))
    return Image.blend(Image.blend(shapes, detail, 0.3), grain, 0.06)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("count", type=int)
    parser.add_argument("--width", type=int, default=96)
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality of the inputs (default 90)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.count < 1 or not 0 < args.width <= TEXTURE_SIDE or not 0 < args.height <= TEXTURE_SIDE:
        parser.error("COUNT must be 1 or more, the size at most 1024x1024")
    rng = random.Random(args.seed)
    textures = [texture(rng) for _ in range(TEXTURES)]
    os.makedirs(args.out_dir, exist_ok=True)
    digits = len(str(args.count - 1))
    for i in range(args.count):
        x = rng.randrange(TEXTURE_SIDE - args.width + 1)
        y = rng.randrange(TEXTURE_SIDE - args.height + 1)
        window = textures[i % TEXTURES].crop((x, y, x + args.width, y + args.height))
        window.save(os.path.join(args.out_dir, f"small_{i:0{digits}d}.jpg"), quality=args.quality)
    return 0


if __name__ == "__main__":
    sys.exit(main())
