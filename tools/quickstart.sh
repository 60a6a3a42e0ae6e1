#!/usr/bin/env bash
# Quick start on a fresh machine: set up .venv, generate the embedded synthetic
# fine-grained benchmark, make (once, cached) the generic initialisation the
# synthetic configs start from (the stand-in for ImageNet weights), pre-train,
# evaluate with the shared protocols (retrieval, kNN, linear probe, few-shot
# part segmentation) and print the results table. The default is the main
# method, LCR; pass configs to compare others at the same budget.
#   bash tools/quickstart.sh [PRETRAIN_CONFIG ...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
# (redrawn if it was written by an older version of the benchmark)
"$PY" tools/make_synthetic.py data/synthetic_birds --overwrite --keep-current
CONFIGS=("$@")
if [[ ${#CONFIGS[@]} -eq 0 ]]; then
    CONFIGS=(configs/rationale_synthetic.py)  # the main method, LCR
fi
# the generic initialisations these configs start from (made once, cached)
"$PY" tools/make_generic_init.py --for-configs "${CONFIGS[@]}"
"$PY" tools/run_protocol.py "${CONFIGS[@]}" --work-root work_dirs/quickstart
