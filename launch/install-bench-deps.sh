#!/usr/bin/env bash
# Install what apps/bench/grayscale_side_by_side.sh needs beyond launch/install-deps.sh: real
# photographs (Debian's mate-backgrounds: 12 JPEG photos of 1.3 to 4.9 MP in its nature folder),
# GNU parallel, ImageMagick and vips as peers, bc. Kept apart: the build and tests need none of it.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

launch/install-deps.sh
packages=(mate-backgrounds parallel imagemagick libvips-tools bc)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  echo "install-bench-deps: all present"
  exit 0
fi
echo "install-bench-deps: installing ${missing[*]}"
sudo=()
((EUID == 0)) || sudo=(sudo)
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
