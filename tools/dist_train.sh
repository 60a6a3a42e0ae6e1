#!/usr/bin/env bash
# Multi-process training with torchrun: tools/dist_train.sh CONFIG NPROC [args]
# One process per GPU; without GPUs the processes run on CPU with gloo.
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
set -euo pipefail
source "$(dirname "$0")/launchers.sh"
torchrun_tool "$2" train.py "$1" "${@:3}"
