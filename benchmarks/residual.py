"""How much of what a learned resizer outputs is its own: in a run's model, for each LearnableResizer or
MullerResizer, the spread (standard deviation) of its output minus the naive resize of its input, over the naive
resize's spread, on the run's first validation images, in inference mode. 0: the layer is its naive resize.

    python -m benchmarks.residual runs/compare/quality-mobilenetv2-resizer/seed-1 --checkpoint last --images 64
"""
import argparse
import json

import numpy as np

from resizer_plugin.compat import keras, to_numpy
from resizer_plugin.layers import LearnableResizer, MullerResizer, resize_images
from resizer_plugin.zoo.cli.common import open_run_or_fail
from resizer_plugin.zoo.training.pipeline import split_batches

__all__ = ["main", "residual_spreads"]


def _resizers(stages):
    return [layer for layer in stages.layers if isinstance(layer, (LearnableResizer, MullerResizer))]


def residual_spreads(run, images):
    """Layer name -> std(layer(x) - naive resize(x)) / std(naive resize(x)) over ``images`` (the stages' input)."""
    stages = run.model.stages
    spreads = {}
    for layer in _resizers(stages):
        inputs = to_numpy(keras.Model(stages.input, layer.input)(images, training=False)).astype(np.float32)
        naive = to_numpy(resize_images(inputs, layer.target_size, layer.interpolation, layer.antialias))
        outputs = to_numpy(layer(inputs, training=False)).astype(np.float32)
        spreads[layer.name] = float(np.std(outputs - naive) / np.std(naive))
    return spreads


def main(argv=None):
    parser = argparse.ArgumentParser("python -m benchmarks.residual", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="the folder zoo-run wrote")
    parser.add_argument("--checkpoint", default="best", help="best, last or an epoch number")
    parser.add_argument("--images", type=int, default=64, help="validation images measured")
    args = parser.parse_args(argv)
    run = open_run_or_fail(args.run_dir, args.checkpoint, command=parser.prog)
    if not _resizers(run.model.stages):
        parser.error("{}: its stages hold no LearnableResizer or MullerResizer".format(args.run_dir))
    split = run.recipe.dataset_options["val_split"]
    images, _ = next(iter(split_batches(run.recipe, split, len(run.class_names), args.images, take=args.images)))
    spreads = residual_spreads(run, images.numpy())
    print(json.dumps(spreads, indent=2))
    return spreads


if __name__ == "__main__":
    main()
