#!/usr/bin/env bash
# Fresh-machine check: run a command (default launch/test.sh) on this repo inside a minimal
# Debian 12 root (debootstrap --variant=minbase) so missing packages in install-deps.sh show up.
# Usage: launch/check-fresh-root.sh [--new-root] [--clean-build] [COMMAND [ARGS...]]   (as root)
#   --new-root     delete and re-create the root (a truly fresh machine; ~1 min + package install)
#   --clean-build  delete the root's copy of build/ before running
# Environment: FRESHROOT (default /tmp/freshroot), MIRROR (default: this machine's apt mirror).
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
root=${FRESHROOT:-/tmp/freshroot}
suite=bookworm
dest=/root/multirank

new_root=0 clean_build=0
while [[ ${1-} == --* ]]; do
  case $1 in
    --new-root) new_root=1 ;;
    --clean-build) clean_build=1 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
(($# > 0)) || set -- launch/test.sh

((EUID == 0)) || { echo "check-fresh-root: must run as root (debootstrap, mount, chroot)" >&2; exit 1; }

mounted_under_root() { findmnt -rn -o TARGET | grep -E "^${root%/}(/|$)" || true; }

# The first Debian archive URI this machine's apt uses (deb822 .sources or one-line .list).
host_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] && awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }' "$f"
  done
}
mirror=${MIRROR:-$(host_uris | grep -E '/debian/?$' | head -n1 || true)}
[[ -n $mirror ]] || { echo "check-fresh-root: no Debian mirror found in /etc/apt; set MIRROR" >&2; exit 1; }
security=$(host_uris | grep -E '/debian-security/?$' | head -n1 || true)

if ((new_root)) && [[ -e $root ]]; then
  [[ -z $(mounted_under_root) ]] || { echo "check-fresh-root: mounts still under $root:" >&2; mounted_under_root >&2; exit 1; }
  echo "check-fresh-root: removing $root"
  rm -rf --one-file-system "$root"
fi

if [[ ! -e $root/.debootstrap-done ]]; then
  if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap
  fi
  [[ -z $(mounted_under_root) ]] || { echo "check-fresh-root: mounts still under $root" >&2; exit 1; }
  rm -rf --one-file-system "$root"
  echo "check-fresh-root: debootstrap --variant=minbase $suite $root $mirror"
  debootstrap --variant=minbase "$suite" "$root" "$mirror"
  # Same suites as a stock install: main, updates and (if this machine uses it) security.
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    [[ -z $security ]] || echo "deb $security $suite-security main"
  } >"$root/etc/apt/sources.list"
  touch "$root/.debootstrap-done"
fi

# Sync the repo: tracked and untracked-but-not-ignored files; the root's build/ is kept.
command -v rsync >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rsync
mkdir -p "$root$dest"
rsync -a --delete --exclude=/.git/ --filter=':- .gitignore' "$repo/" "$root$dest/"
((clean_build)) && rm -rf --one-file-system "$root$dest/build"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
  mounts=()
  local left
  left=$(mounted_under_root)
  [[ -z $left ]] || echo "check-fresh-root: WARNING, still mounted: $left" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for m in /proc /sys /dev /dev/pts /dev/shm; do
  mkdir -p "$root$m"
  mount --bind "$m" "$root$m"
  mounts+=("$root$m")
done
# slurmd (the Slurm tests) needs the cgroup hierarchies; rslave, so unmounting ours never
# unmounts the machine's.
if mountpoint -q /sys/fs/cgroup; then
  mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
  mount --make-rslave "$root/sys/fs/cgroup"
  mounts+=("$root/sys/fs/cgroup")
fi

echo "check-fresh-root: running in $root:$dest: $*"
status=0
chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  ${BUILD_TYPE:+BUILD_TYPE="$BUILD_TYPE"} \
  /bin/bash -c 'cd "$0" && exec "$@"' "$dest" "$@" || status=$?
echo "check-fresh-root: exit status $status"
exit "$status"
