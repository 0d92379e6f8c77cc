#!/usr/bin/python3
# The profile's report.html as a browser draws it: a grayscale run profiled in --io ship on 2
# ranks, its report rendered by headless Chromium, which must succeed; the rendered page (the DOM
# after Chromium parsed it) must hold the report's tables, the span table with every stage among
# them, and its screenshot must show more than a blank page. Exits 77 (CTest's SKIP_RETURN_CODE)
# when no Chromium is installed.
# Usage: check_report_in_chromium.py GRAYSCALE MAKE_SAMPLE_IMAGES MPIEXEC [SCREENSHOT]
import os
import re
import shutil
import subprocess
import sys
import tempfile

from PIL import Image

SKIP = 77
STAGES = ("ship", "read", "decode", "convert", "encode", "write")
TABLES = ("Ranks", "Functions", "Spans", "Start-up and close", "Slowest task records")


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(browser, page, *options):
    """Runs headless Chromium on `page`; its stdout, or the reason it failed."""
    # --no-sandbox: the test may run as root, where Chromium's sandbox refuses to start.
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               *options, "file://" + page]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"chromium failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return result.stdout


def check_dom(dom):
    for title in TABLES:
        if not re.search(rf"<h2>{re.escape(title)}</h2>\s*(<p[^>]*>.*?</p>\s*)?(<div[^>]*>)?<table>", dom, re.S):
            sys.exit(f"the rendered report has no table under '{title}'")
    spans = dom[dom.index("<h2>Spans</h2>"):]
    spans = spans[:spans.index("</table>")]
    for stage in STAGES:
        if not re.search(rf"<td[^>]*>(<[^>]+>)*{stage}(<[^>]+>)*</td>", spans):
            sys.exit(f"the rendered span table has no row for '{stage}'")
    if "<svg" not in dom:
        sys.exit("the rendered report has no timeline")


def check_screenshot(path):
    image = Image.open(path).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    # A blank or failed page is one or two colours; the report's bars and text are many more.
    if colours is not None and len(colours) < 16:
        sys.exit(f"{path}: the screenshot shows a nearly blank page ({len(colours)} colours)")


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: check_report_in_chromium.py GRAYSCALE MAKE_SAMPLE_IMAGES MPIEXEC [SCREENSHOT]")
    grayscale, make_images, mpiexec = sys.argv[1:4]
    browser = chromium()
    if browser is None:
        print("chromium is not installed: skipped")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="multirank-report-render-") as root:
        images, output, profile = (os.path.join(root, d) for d in ("in", "out", "prof"))
        subprocess.run([sys.executable, make_images, images, "12"], check=True, capture_output=True)
        run = subprocess.run([mpiexec, "--oversubscribe", "-np", "2", grayscale, images, output,
                              "--io", "ship", "--quiet", "--profile", profile],
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            sys.exit(f"grayscale failed ({run.returncode}):\n{run.stderr[-2000:]}")
        page = os.path.join(profile, "report.html")
        check_dom(render(browser, page, "--dump-dom"))
        screenshot = sys.argv[4] if len(sys.argv) == 5 else os.path.join(root, "report.png")
        render(browser, page, f"--screenshot={screenshot}", "--window-size=1400,3000")
        check_screenshot(screenshot)
    print("report.html renders in Chromium with its tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
