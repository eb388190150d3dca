#!/bin/bash
# The Ascend ModelZoo port's one-card performance run with static shapes, as a thin wrapper around zoo-run:
# one epoch of the bundled reference recipe; the summary's ActualFPS is the throughput.
#   bash recipes/ascend/train_performance_1p_static_eval.sh --data_path=/path/to/tensorflow_datasets [port flags]
source "$(dirname "$0")/common.sh"
run_port_script 1 True perf "$@"
