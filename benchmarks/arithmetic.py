"""Arithmetic per image of each front (the keras.io reference resizer, LearnableResizer, MullerResizer, bilinear)
and of the backbone: forward floating-point operations as TensorFlow's profiler counts them in the traced graph
(a multiply-add is two; resizes are not counted), and parameters.

    python -m benchmarks.arithmetic --input-size 300 300 --target-size 150 150 --backbone DenseNet121
"""
import tensorflow as tf

from resizer_plugin.compat import keras

from .common import VARIANTS, common_arguments, finish, fmt, front, machine, print_table

__all__ = ["forward_flops", "main", "run"]


def forward_flops(model, input_shape):
    """Floating-point operations of one forward pass of ``model`` on one float32 image of ``input_shape`` (HWC),
    as ``tf.compat.v1.profiler`` counts them in the frozen graph of the traced call."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    call = tf.function(lambda x: model(x, training=False))
    frozen = convert_variables_to_constants_v2(call.get_concrete_function(
        tf.TensorSpec((1,) + tuple(input_shape), tf.float32)))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(tf.compat.v1.profiler.profile(graph=frozen.graph, options=options).total_float_ops)


def _front_model(variant, args):
    inputs = keras.Input(tuple(args.input_size) + (3,))
    return keras.Model(inputs, front(variant, tuple(args.target_size))(inputs))


def main(argv=None):
    return run(common_arguments(__doc__.splitlines()[0]).parse_args(argv))


def run(args):
    """Count every front and the backbone; print and return the results."""
    keras.mixed_precision.set_global_policy("float32")
    results = {"benchmark": "arithmetic", "machine": machine(), "settings": vars(args), "fronts": {}}
    for variant in VARIANTS:
        model = _front_model(variant, args)
        results["fronts"][variant] = {"description": VARIANTS[variant], "parameters": int(model.count_params()),
                                      "forward_flops": forward_flops(model, tuple(args.input_size) + (3,))}
    backbone = getattr(keras.applications, args.backbone)(weights=None, classes=2,
                                                          input_shape=tuple(args.target_size) + (3,))
    results["backbone"] = {"name": args.backbone, "parameters": int(backbone.count_params()),
                           "forward_flops": forward_flops(backbone, tuple(args.target_size) + (3,))}
    results["front_over_backbone"] = {name: row["forward_flops"] / results["backbone"]["forward_flops"]
                                      for name, row in results["fronts"].items()}
    rows = [[name, "{:,}".format(row["parameters"]), fmt(row["forward_flops"] / 1e6, 1)]
            for name, row in list(results["fronts"].items()) + [(args.backbone, results["backbone"])]]
    print_table("forward arithmetic per image, {}x{} -> {}x{}".format(*args.input_size, *args.target_size),
                ["front / backbone", "parameters", "MFLOPs (profiler; a multiply-add is 2)"], rows)
    return finish(args, results, ["front_over_backbone"])


if __name__ == "__main__":
    main()
