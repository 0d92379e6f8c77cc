#!/usr/bin/python3
# The baseline of apps/bench/grayscale_side_by_side.sh: the article's section 6 program, converting
# every top-level `.jpg` of IMAGE_DIR to grayscale with PIL's convert('L') in a ProcessPoolExecutor,
# saving `grayscale_<basename>` into the CURRENT directory and printing "Processed: <output>".
# Run it from the output directory:
#   cd OUT_DIR && /usr/bin/python3 apps/bench/peers/article_grayscale.py IMAGE_DIR [WORKERS]
# It is the yardstick, so it keeps the article's behaviour, weaknesses included (lower-case `.jpg`
# only, no subfolders, same-named inputs overwrite each other, the first unreadable file ends the
# run with a traceback, EXIF orientation dropped). Only the command line is added: the image
# directory and the worker count (default: the article's, one per core).
import os
import sys
from concurrent.futures import ProcessPoolExecutor

try:
    from PIL import Image
except ImportError:
    sys.exit("article_grayscale.py needs PIL for /usr/bin/python3: Debian's python3-pil "
             "(launch/install-deps.sh)")


def convert_to_grayscale(filename):
    # Each task opens, converts and saves one image, as the article's does; PIL's JPEG default
    # quality (75) is what the other tools of the side-by-side are set to.
    with Image.open(filename) as img:
        grayscale_img = img.convert('L')
        output_filename = f"grayscale_{os.path.basename(filename)}"
        grayscale_img.save(output_filename)
        return output_filename


def process_images(image_dir, workers=None):
    image_files = [os.path.join(image_dir, f) for f in os.listdir(image_dir) if f.endswith('.jpg')]
    with ProcessPoolExecutor(max_workers=workers) as executor:
        results = executor.map(convert_to_grayscale, image_files)
        for result in results:
            print(f"Processed: {result}")


def main(argv):
    usage = f"usage: {argv[0]} IMAGE_DIR [WORKERS]   (outputs go to the current directory)"
    if argv[1:] in (["-h"], ["--help"]):
        print(usage)
        return
    if len(argv) not in (2, 3):
        sys.exit(usage)
    if not os.path.isdir(argv[1]):
        sys.exit(f"article_grayscale.py: {argv[1]} is not a directory")
    process_images(argv[1], int(argv[2]) if len(argv) == 3 else None)


if __name__ == '__main__':
    main(sys.argv)
