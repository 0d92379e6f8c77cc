#!/usr/bin/python3
"""Draws one column of a Markdown table (as the benchmark scripts print them) as a horizontal bar
chart in SVG, one bar per row, labelled by the row's first cell; the first row is highlighted.

    bar_chart.py FILE.md --after HEADING --column NAME [--title TITLE] [--unit UNIT] > chart.svg

The table is the first one after the line HEADING in FILE.md; a cell's value is the number it
starts with ("3.85 (3.80-5.55)" gives 3.85).
"""
import argparse
import html
import re
import sys

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("file")
parser.add_argument("--after", required=True, help="the heading line the table follows")
parser.add_argument("--column", required=True, help="the header of the column to draw")
parser.add_argument("--title", default="", help="a title above the bars")
parser.add_argument("--unit", default="", help="written after each value")
args = parser.parse_args()

lines = open(args.file, encoding="utf-8").read().split("\n")
try:
    start = next(i for i, line in enumerate(lines) if line.strip() == args.after.strip())
except StopIteration:
    sys.exit(f"bar_chart.py: no line '{args.after}' in {args.file}")
rows = []
for line in lines[start + 1:]:
    if line.startswith("|"):
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    elif rows:
        break
if len(rows) < 3:
    sys.exit(f"bar_chart.py: no table after '{args.after}' in {args.file}")
header, body = rows[0], rows[2:]
if args.column not in header:
    sys.exit(f"bar_chart.py: no column '{args.column}' in {header}")
column = header.index(args.column)
bars = []
for row in body:
    number = re.match(r"\**\s*([0-9][0-9 ]*(?:\.[0-9]+)?)", row[column])
    if not number:
        sys.exit(f"bar_chart.py: '{row[column]}' in row '{row[0]}' is not a number")
    bars.append((re.sub(r"[`*]", "", row[0]), float(number.group(1).replace(" ", ""))))

# About 7.2 pixels per character of DejaVu Sans at 13 px.
label_width = 16 + int(7.2 * max(len(label) for label, _ in bars))
bar_width, bar_height, gap = 330, 22, 8
top = 40 if args.title else 12
width = label_width + bar_width + 90
height = top + len(bars) * (bar_height + gap) + 8
largest = max(value for _, value in bars)
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
       f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="13">',
       f'<rect width="{width}" height="{height}" fill="white"/>']
if args.title:
    out.append(f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15" '
               f'font-weight="bold">{html.escape(args.title)}</text>')
for index, (label, value) in enumerate(bars):
    y = top + index * (bar_height + gap)
    length = max(1.0, bar_width * value / largest)
    colour = "#2b6cb0" if index == 0 else "#a0aec0"
    out.append(f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
               f'{html.escape(label)}</text>')
    out.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{colour}"/>')
    out.append(f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height * 0.7:.1f}">'
               f'{value:g}{html.escape(args.unit)}</text>')
out.append("</svg>")
print("\n".join(out))
