#!/usr/bin/env bash
# Multi-process testing with torchrun:
#   tools/dist_test.sh CONFIG CHECKPOINT NPROC [args]
set -euo pipefail
source "$(dirname "$0")/launchers.sh"
torchrun_tool "$3" test.py "$1" "$2" "${@:4}"
