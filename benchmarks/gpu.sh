#!/usr/bin/env bash
# The GPU figures of docs/performance.md, in one go: the training step at the reference run's batch (64) in
# float32 and mixed precision, XLA off and on; then, where cats_vs_dogs lies in TFDS_DATA_DIR, the reference
# recipe for 300 steps.   usage: bash benchmarks/gpu.sh OUT_DIR [TFDS_DATA_DIR]
set -euo pipefail
out=${1:?usage: bash benchmarks/gpu.sh OUT_DIR [TFDS_DATA_DIR]}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
if ! python3 -c "import tensorflow as tf, sys; g = tf.config.list_physical_devices('GPU'); print('TensorFlow', tf.__version__, g); sys.exit(0 if g else 1)"; then
    echo "benchmarks/gpu.sh: error: needs TensorFlow that sees a GPU (pip install -e '.[test]' tensorflow[and-cuda])" >&2
    exit 2
fi
for precision in float32 mixed; do
    for jit in "" "--jit"; do
        python3 -m benchmarks.train_step --batch-size 64 --steps 20 --precision "$precision" $jit \
            --json "$out/train_step_${precision}${jit:+_xla}.json"
    done
done
if [ -n "${2:-}" ]; then
    zoo-run densenet_cats_dogs --data-dir "$2" --output-dir "$out/reference_run" \
        --set train.epochs=1 --set train.steps_per_epoch=300
fi
