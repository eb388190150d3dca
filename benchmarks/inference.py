"""Inference throughput of the resizer alone and of resizer + backbone (reference composition, this project's
resizer, plain bilinear), in one process, same batch of real photos.

    python -m benchmarks.inference --batch-size 16 --steps 5 --json inference.json
"""
import tensorflow as tf

from .common import (VARIANTS, build, chosen_conv_forms, common_arguments, finish, fmt, machine, median_seconds,
                     photos, print_table, set_precision)


def main(argv=None):
    args = common_arguments(__doc__.splitlines()[0]).parse_args(argv)
    with chosen_conv_forms(args):
        return run(args)


def run(args):
    """Build, trace and time every row of ``args``; print and return the results."""
    policy = set_precision(args.precision)
    images = tf.constant(photos(args))
    results = {"benchmark": "inference", "machine": machine(), "policy": policy, "settings": vars(args), "rows": {}}
    predictions = {}
    for with_backbone in (False, True):
        for variant in VARIANTS:
            model = build(variant, args, with_backbone=with_backbone)
            predict = tf.function(lambda x, m=model: m(x, training=False), jit_compile=args.jit)
            name = "{}{}".format(variant, " + " + args.backbone if with_backbone else " alone")
            predictions[name] = lambda p=predict: p(images).numpy()
    for name, (seconds, _) in median_seconds(predictions, args.steps, args.warmup).items():
        results["rows"][name] = {"seconds_per_batch": seconds, "images_per_second": args.batch_size / seconds}
    rows = results["rows"]
    alone = "resizer alone", "reference alone"
    if all(k in rows for k in alone):
        results["resizer_speedup_alone"] = rows[alone[0]]["images_per_second"] / rows[alone[1]]["images_per_second"]
    print_table("inference, {}x{} -> {}x{}, batch {}, {}, resizer convolution forms: {}".format(
        *args.input_size, *args.target_size, args.batch_size, policy, results["machine"]["resizer_convolution_forms"]),
                ["model", "s/batch (median)", "images/s"],
                [[k, fmt(v["seconds_per_batch"], 3), fmt(v["images_per_second"], 1)] for k, v in rows.items()])
    return finish(args, results, ["resizer_speedup_alone"])


if __name__ == "__main__":
    main()
