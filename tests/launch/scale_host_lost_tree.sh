#!/usr/bin/env bash
# scale_host_lost.sh with the dispatch tree on: node9's relay (its lowest rank, 32) falls silent
# with its host, and the driver takes it for lost and with it the three ranks behind it, naming
# each; every result still comes back, exact.
# Usage: scale_host_lost_tree.sh SOURCE_DIR BIN_DIR
set -euo pipefail
export MULTIRANK_DISPATCH_TREE=on
exec bash "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/scale_host_lost.sh" "$@"
