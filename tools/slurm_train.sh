#!/usr/bin/env bash
# Training on a slurm cluster:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [args]
set -x
source "$(dirname "$0")/launchers.sh"
WORK_DIR=${4:-}
srun_tool "$1" "$2" train.py "$3" ${WORK_DIR:+--work-dir="$WORK_DIR"} "${@:5}"
