# Sourced by dist_{train,test}.sh and slurm_{train,test}.sh: one place for the
# interpreter (the checkout's .venv unless PYTHON is set) and for how a tool
# is started under torchrun or srun.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON=${PYTHON:-$( [[ -x "$ROOT/.venv/bin/python" ]] && echo "$ROOT/.venv/bin/python" || echo python )}
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"

# torchrun_tool NPROC TOOL [tool args]: NPROC processes per node; multi-node
# with NNODES, NODE_RANK, MASTER_ADDR and PORT set on every node.
torchrun_tool() {
    "$PYTHON" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$1" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/$2" --launcher pytorch "${@:3}"
}

# srun_tool PARTITION JOB_NAME TOOL [tool args], sized by GPUS, GPUS_PER_NODE,
# CPUS_PER_TASK and SRUN_ARGS as in mmpretrain.
srun_tool() {
    local gpus_per_node=${GPUS_PER_NODE:-8}
    # SRUN_ARGS is split into words on purpose: it holds several options.
    # shellcheck disable=SC2086
    srun -p "$1" \
        --job-name="$2" \
        --gres=gpu:"$gpus_per_node" \
        --ntasks="${GPUS:-8}" \
        --ntasks-per-node="$gpus_per_node" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} \
        "$PYTHON" -u "$ROOT/tools/$3" --launcher=slurm "${@:4}"
}
