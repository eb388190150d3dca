#!/usr/bin/env bash
# The GPU figures of docs/performance.md, in one go, on whichever Keras backend sees the GPU (KERAS_BACKEND=jax needs
# no TensorFlow): the training step at the reference run's batch (64), 300 -> 150, of every front in float32,
# mixed_bfloat16 and mixed_float16 (on TensorFlow each also with XLA; JAX always compiles); then, with TensorFlow and
# cats_vs_dogs in TFDS_DATA_DIR, the reference recipe for 300 steps.
#   usage: bash benchmarks/gpu.sh OUT_DIR [TFDS_DATA_DIR]
# GPU_SH_ARGS adds benchmarks.train_step arguments (they win over these); GPU_SH_ON_CPU=1 runs on a CPU (a check
# of the script itself, at a tiny size).
set -euo pipefail
out=${1:?usage: bash benchmarks/gpu.sh OUT_DIR [TFDS_DATA_DIR]}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
if ! python3 -c "import sys; from benchmarks.common import accelerators; from resizer_plugin.compat import BACKEND
gpus = accelerators(); print('Keras backend', BACKEND, 'GPUs', gpus); sys.exit(0 if gpus else 1)"; then
    if [ -z "${GPU_SH_ON_CPU:-}" ]; then
        echo "benchmarks/gpu.sh: error: needs a Keras backend that sees a GPU (KERAS_BACKEND=jax with a CUDA jax, or" \
             "TensorFlow: pip install tensorflow[and-cuda])" >&2
        exit 2
    fi
fi
backend=$(python3 -c "from resizer_plugin.compat import BACKEND; print(BACKEND)")
jits=("")
if [ "$backend" = tensorflow ]; then jits=("" "--jit"); fi
for precision in float32 mixed_bfloat16 mixed_float16; do
    for jit in "${jits[@]}"; do
        # shellcheck disable=SC2086  # GPU_SH_ARGS is a list of arguments
        python3 -m benchmarks.train_step --batch-size 64 --steps 10 --precision "$precision" $jit ${GPU_SH_ARGS:-} \
            --json "$out/train_step_${precision}${jit:+_xla}.json"
    done
done
if [ -n "${2:-}" ]; then
    zoo-run densenet_cats_dogs --data-dir "$2" --output-dir "$out/reference_run" \
        --set train.epochs=1 --set train.steps_per_epoch=300
fi
