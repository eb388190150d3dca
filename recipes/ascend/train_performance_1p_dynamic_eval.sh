#!/bin/bash
# The Ascend ModelZoo port's one-card performance run with dynamic shapes (--static=False: the last partial batch
# of each epoch is fed as it is), as a thin wrapper around zoo-run. The port's own run of it failed on the NPU
# ("Optype [Conv2DBackpropFilter] of Ops kernel [AIcoreEngine] is unsupported"); where the CANN release still
# refuses dynamic shapes, zoo-run exits non-zero and this script prints where the log is.
#   bash recipes/ascend/train_performance_1p_dynamic_eval.sh --data_path=/path/to/tensorflow_datasets [port flags]
source "$(dirname "$0")/common.sh"
run_port_script 1 False perf "$@"
