#!/usr/bin/env bash
# Create (or check) the project's virtual environment in <repo>/.venv.
#
# Installs the verified stack of shared ENVIRONMENT.md: torch 2.14.1 + torchvision
# 0.29.1, mmcv 2.1.0 compiled from source (C++20 patch, wheel cached outside the
# repository), mmengine 0.10.7, mmpretrain 1.2.0, mmsegmentation 1.2.2, and
# mmfgssl in editable mode. Idempotent: when nothing changed since the last
# successful run it only re-checks the imports (a few seconds).
#
# Environment knobs:
#   MMFGSSL_VENV        venv location            (default: <repo>/.venv)
#   MMFGSSL_WHEEL_CACHE where the mmcv wheel is kept (default: ~/.cache/mmfgssl/wheels)
#   PYTHON              interpreter for the venv  (default: python3)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMFGSSL_VENV:-$REPO/.venv}"
WHEEL_CACHE="${MMFGSSL_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmfgssl/wheels}"
PYTHON="${PYTHON:-python3}"
MMCV_VERSION=2.1.0
TORCH_VERSION=2.14.1

step=""
fail() {
    echo "[setup_env] FAILED at step: $step" >&2
    echo "[setup_env] see the output above; nothing after this step was installed." >&2
    exit 1
}
trap fail ERR
say() { step="$1"; echo "[setup_env] $1"; }

# The stamp records what the environment was built from; if it matches and the
# imports work, there is nothing to do.
stamp_file="$VENV/.mmfgssl-stamp"
stamp="$(cat "$REPO"/requirements/*.txt "$REPO/setup.py" "$REPO/tools/setup_env.sh" | sha256sum | cut -d' ' -f1)"
check_imports() {
    "$VENV/bin/python" - <<'EOF'
import mmseg.models, mmpretrain.models  # noqa: F401
from mmcv.ops import nms  # noqa: F401  (compiled ops present)
import mmfgssl  # noqa: F401
EOF
}
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
    say "environment up to date; checking imports"
    check_imports
    echo "[setup_env] ready: $VENV"
    exit 0
fi

say "create virtual environment $VENV"
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
PY_TAG="$("$VENV/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"

say "install build requirements"
"${PIP[@]}" install -q --upgrade "pip<27"
"${PIP[@]}" install -q -r "$REPO/requirements/build.txt"

say "install torch $TORCH_VERSION and torchvision"
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==0.29.1"

installed_mmcv() {
    "$VENV/bin/python" -c 'import mmcv, mmcv.ops; print(mmcv.__version__)' 2>/dev/null || true
}
if [[ "$(installed_mmcv)" != "$MMCV_VERSION" ]]; then
    wheel_dir="$WHEEL_CACHE/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PY_TAG"
    mkdir -p "$wheel_dir"
    if ! ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
        say "build mmcv $MMCV_VERSION from source (about 10 minutes on 2 cores; cached in $wheel_dir)"
        build_dir="$(mktemp -d)"
        "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: "mmcv==$MMCV_VERSION" -d "$build_dir"
        tar -xzf "$build_dir"/mmcv-"$MMCV_VERSION".tar.gz -C "$build_dir"
        src="$build_dir/mmcv-$MMCV_VERSION"
        # torch >= 2.14 headers need C++20; mmcv 2.1.0 hard-codes C++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
        (cd "$src" && MAX_JOBS="${MAX_JOBS:-2}" MMCV_WITH_OPS=1 FORCE_CUDA=0 \
            "${PIP[@]}" wheel -q --no-build-isolation --no-deps -w "$build_dir/dist" .)
        cp "$build_dir"/dist/mmcv-*.whl "$wheel_dir/"
        rm -rf "$build_dir"
    fi
    say "install mmcv $MMCV_VERSION from $wheel_dir"
    "${PIP[@]}" install -q --no-deps --force-reinstall "$wheel_dir"/mmcv-*.whl
    # mmcv's own runtime dependencies (addict, yapf, ...), without rebuilding it.
    "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf
fi

say "install OpenMMLab packages and runtime requirements"
"${PIP[@]}" install -q -r "$REPO/requirements/runtime.txt" "mmcv==$MMCV_VERSION"

say "install test requirements"
"${PIP[@]}" install -q -r "$REPO/requirements/tests.txt"

say "install mmfgssl (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$REPO"

say "check imports (mmseg.models, mmpretrain.models, mmcv.ops, mmfgssl)"
check_imports
echo "$stamp" >"$stamp_file"
echo "[setup_env] ready: $VENV"
