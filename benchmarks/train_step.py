"""Training-step throughput: the keras.io reference composition (a), this project's resizer (b), MULLER and plain
bilinear resizing (c), each in front of the same backbone, in one process, same batch of real photos.

    python -m benchmarks.train_step --batch-size 16 --steps 4 --json out.json
"""
import numpy as np

from resizer_plugin.compat import keras, set_random_seed

from .common import (VARIANTS, build, chosen_conv_forms, common_arguments, finish, fmt, jit_compile, machine,
                     median_seconds, photos, print_table, set_precision)


def train_steps(variant, args, images, labels):
    """The compiled model of ``variant`` and a callable that runs one training step on the batch."""
    model = build(variant, args)
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1), jit_compile=jit_compile(args))
    return model, lambda: model.train_on_batch(images, labels)


def main(argv=None):
    parser = common_arguments(__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    with chosen_conv_forms(args):
        return run(args)


def _built(args, images, labels):
    """(models, steps, policy) of every variant; with ``--precision both`` each variant twice, its mixed twin named
    ``variant@<policy>``."""
    models, steps, policies = {}, {}, []
    for precision in ("float32", "mixed") if args.precision == "both" else (args.precision,):
        policies.append(set_precision(precision))
        for variant in args.variants:
            name = variant if precision == "float32" or args.precision != "both" else variant + "@" + policies[-1]
            print("building {} ...".format(name), flush=True)
            models[name], steps[name] = train_steps(variant, args, images, labels)
    return models, steps, "+".join(policies)


def run(args):
    """Build, trace and time every variant of ``args``; print and return the results."""
    set_random_seed(0)
    images = photos(args).astype(np.float32)
    labels = np.eye(2, dtype=np.float32)[np.arange(args.batch_size) % 2]
    models, steps, policy = _built(args, images, labels)
    results = {"benchmark": "train_step", "machine": machine(), "policy": policy, "settings": vars(args),
               "variants": {}}
    print("timing {} interleaved rounds ...".format(args.steps), flush=True)
    for name, (seconds, times) in median_seconds(steps, args.steps, args.warmup).items():
        results["variants"][name] = {
            "description": VARIANTS[name.split("@")[0]], "parameters": int(models[name].count_params()),
            "step_seconds": seconds, "images_per_second": args.batch_size / seconds, "all_step_seconds": times}
    add_ratios(results)
    by = results["variants"]
    print_table("training step, {} {}x{} -> {}x{}, batch {}, {}{}, {}, resizer convolution forms: {}".format(
        args.backbone, *args.input_size, *args.target_size, args.batch_size, policy,
        ", XLA" if jit_compile(args) else "", results["machine"]["backend"],
        results["machine"]["resizer_convolution_forms"]),
        ["variant", "s/step (median)", "images/s", "parameters", "what"],
        [[v, fmt(r["step_seconds"], 3), fmt(r["images_per_second"], 1), "{:,}".format(r["parameters"]),
          r["description"]] for v, r in by.items()])
    return finish(args, results, ["resizer_over_bilinear", "muller_over_bilinear", "speedup_over_reference",
                                  "reference_over_bilinear", "mixed_over_float32"])


def add_ratios(results):
    """The resizer's and the reference's step times over the others' (those timed), and each mixed twin's over
    its float32 variant's."""
    by = results["variants"]
    mixed = {name.split("@")[0]: r["step_seconds"] / by[name.split("@")[0]]["step_seconds"]
             for name, r in by.items() if "@" in name}
    if mixed:
        results["mixed_over_float32"] = mixed
    if "resizer" in by and "bilinear" in by:
        results["resizer_over_bilinear"] = by["resizer"]["step_seconds"] / by["bilinear"]["step_seconds"]
    if "muller" in by and "bilinear" in by:
        results["muller_over_bilinear"] = by["muller"]["step_seconds"] / by["bilinear"]["step_seconds"]
    if "resizer" in by and "reference" in by:
        results["speedup_over_reference"] = by["resizer"]["images_per_second"] / by["reference"]["images_per_second"]
        results["reference_over_bilinear"] = (by["reference"]["step_seconds"] / by["bilinear"]["step_seconds"]
                                              if "bilinear" in by else None)


if __name__ == "__main__":
    main()
