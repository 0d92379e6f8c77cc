#!/usr/bin/env python3
"""Checks that a multirank timeline.svg is well-formed XML with exactly one lane per rank.
Usage: check_svg.py TIMELINE.svg RANKS   (exit status 0 when it is)"""
import sys
import xml.etree.ElementTree as ET

path, ranks = sys.argv[1], int(sys.argv[2])
try:
    root = ET.parse(path).getroot()
except ET.ParseError as error:
    sys.exit(f"{path}: not well-formed XML: {error}")
svg = "{http://www.w3.org/2000/svg}"
if root.tag != svg + "svg":
    sys.exit(f"{path}: the root element is {root.tag}, not svg")
lanes = [e for e in root.iter(svg + "rect") if e.get("class") == "lane"]
found = sorted(int(e.get("data-rank")) for e in lanes)
if found != list(range(ranks)):
    sys.exit(f"{path}: lanes for ranks {found[:10]}... ({len(found)} lanes), expected one for each of {ranks} ranks")
print(f"{path}: well-formed, {len(lanes)} lanes, {sum(1 for _ in root.iter(svg + 'rect'))} rectangles")
