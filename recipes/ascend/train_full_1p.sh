#!/bin/bash
# The Ascend ModelZoo port's full training on one card, as a thin wrapper around zoo-run: the bundled reference
# recipe (DenseNet-121 + learnable resizer, cats_vs_dogs, its 5 epochs), static shapes.
#   bash recipes/ascend/train_full_1p.sh --data_path=/path/to/tensorflow_datasets [port flags]
# See common.sh for the arguments; the run goes to ./output/$ASCEND_DEVICE_ID/.
source "$(dirname "$0")/common.sh"
run_port_script "" True acc "$@"
