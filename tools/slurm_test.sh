#!/usr/bin/env bash
# Testing on a slurm cluster:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]
set -x
source "$(dirname "$0")/launchers.sh"
srun_tool "$1" "$2" test.py "$3" "$4" "${@:5}"
