"""Shared pieces of the benchmarks: the compared models, real-photo inputs, timing, tables and JSON."""
import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from resizer_plugin.compat import BACKEND, TF_VERSION, keras, onednn_enabled
from resizer_plugin.layers import CONV_FORMS, LearnableResizer, MullerResizer, conv_forms
from resizer_plugin.photos import sample_photos
from resizer_plugin.runtimes.local import BF16_FLAGS, cpu_flags

from resizer_plugin.testing.reference import reference_resizer

#: variant name -> what it is, as the tables print it
VARIANTS = {
    "reference": "keras.io composition of stock layers (baseline)",
    "resizer": "resizer_plugin.LearnableResizer",
    "muller": "resizer_plugin.MullerResizer (MULLER, 2 layers)",
    "bilinear": "plain bilinear resize, no resizer",
}
#: the CPU features (Linux's names) the figures depend on: vector width, fused multiply-add, native bfloat16
CPU_FEATURES = ("avx2", "fma", "avx512f") + BF16_FLAGS


def common_arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--input-size", type=int, nargs=2, default=[300, 300], metavar=("H", "W"))
    parser.add_argument("--target-size", type=int, nargs=2, default=[150, 150], metavar=("H", "W"))
    parser.add_argument("--backbone", default="DenseNet121", help="keras.applications model (weights=None)")
    parser.add_argument("--precision", choices=("float32", "mixed", "mixed_float16", "mixed_bfloat16", "both"),
                        default="float32", help="mixed: mixed_float16 on GPU, mixed_bfloat16 on CPU; both: every "
                                                "variant in float32 and mixed, interleaved (train_step)")
    parser.add_argument("--jit", action="store_true", help="compile with XLA (jit_compile=True; JAX always does)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per variant (the median is reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (tracing, allocation)")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--conv-forms", choices=("auto",) + CONV_FORMS, default="auto",
                        help="forms of the resizer's convolutions (resizer_plugin.layers.conv_forms); auto: cpu "
                             "where no GPU is visible and the CPU runtime finds they pay off, else stock")
    return parser


def resolve_conv_forms(name):
    """``name`` of ``--conv-forms``, with ``auto`` resolved as the CPU runtime resolves it on this machine."""
    if name != "auto":
        return name
    if BACKEND != "tensorflow":
        return "stock"  # the CPU forms are TensorFlow's
    from resizer_plugin.runtimes.local import cpu_conv_forms_pay_off

    return "cpu" if not accelerators() and cpu_conv_forms_pay_off() else "stock"


def accelerators():
    """The names of the GPUs the Keras backend computes on; empty on a CPU."""
    if BACKEND == "jax":
        import jax

        return [device.device_kind for device in jax.devices() if device.platform == "gpu"]
    if BACKEND == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    import tensorflow as tf

    return [tf.config.experimental.get_device_details(g).get("device_name", g.name)
            for g in tf.config.list_physical_devices("GPU")]


def jit_compile(args):
    """``Model.compile``'s ``jit_compile``: ``--jit`` on TensorFlow; always on JAX, which runs eagerly without it."""
    return True if BACKEND == "jax" else args.jit


def chosen_conv_forms(args):
    """The ``conv_forms`` scope of ``--conv-forms``: build, trace and time every variant inside it."""
    return conv_forms(resolve_conv_forms(args.conv_forms))


def set_precision(precision):
    """Set the global policy of ``--precision`` (float32, mixed or a mixed policy's name) and return its name."""
    if precision == "mixed":
        precision = "mixed_float16" if accelerators() else "mixed_bfloat16"
    keras.mixed_precision.set_global_policy(precision)
    return keras.mixed_precision.global_policy().name


def front(variant, target_size):
    """The layer(s) between the rescaled image and the backbone."""
    if variant == "reference":
        return reference_resizer(target_size)
    if variant == "resizer":
        return LearnableResizer(target_size)
    if variant == "muller":
        return MullerResizer(target_size)
    return keras.layers.Resizing(*target_size, interpolation="bilinear")


def build(variant, args, with_backbone=True, num_classes=2):
    """image (float, 0..255) -> rescale -> front -> [backbone -> softmax] for one variant."""
    inputs = keras.Input(tuple(args.input_size) + (3,))
    x = keras.layers.Rescaling(1.0 / 255)(inputs)
    x = front(variant, tuple(args.target_size))(x)
    if with_backbone:
        backbone = getattr(keras.applications, args.backbone)(
            weights=None, include_top=True, classes=num_classes, input_shape=tuple(args.target_size) + (3,))
        x = backbone(x)
        x = keras.layers.Activation("linear", dtype="float32")(x)
    return keras.Model(inputs, x, name=variant)


def photos(args, count=None):
    """A batch of real photos (scikit-image samples) at the input size, pixel values 0..255."""
    return sample_photos(tuple(args.input_size), count or args.batch_size) * 255.0


def median_seconds(steps_by_name, steps, warmup):
    """``{name: (median seconds, all timed seconds)}`` of each ``step()`` after ``warmup`` untimed calls. The
    timed calls are interleaved (one of each per round), so a slow spell of the machine touches every variant
    alike and the ratios between them hold even where absolute times drift."""
    for step in steps_by_name.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps_by_name}
    for _ in range(steps):
        for name, step in steps_by_name.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(t), t) for name, t in times.items()}


def machine():
    """What the results depend on: hardware, versions, CPU kernels, and the resizer's convolution forms in effect
    (call it inside :func:`chosen_conv_forms`)."""
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "gpus": accelerators(), "backend": BACKEND, "keras": keras.__version__,
            "tensorflow": ".".join(map(str, TF_VERSION)) if TF_VERSION else None, "jax": _jax_version(),
            "onednn": onednn_enabled(), "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset)"),
            "resizer_convolution_forms": conv_forms.active(),
            "cpu_features": [flag for flag in CPU_FEATURES if flag in cpu_flags()]}


def configuration(figures):
    """One line: the configuration :func:`machine` found (TensorFlow's environment set as zoo-run sets it)."""
    features = " ".join(figures["cpu_features"]) or "none of " + " ".join(CPU_FEATURES)
    return ("timed as zoo-run runs: {} backend, oneDNN CPU kernels {} (TF_ENABLE_ONEDNN_OPTS={}), resizer "
            "convolution forms {}, CPU features: {}".format(
                figures["backend"], "on" if figures["onednn"] else "off", figures["TF_ENABLE_ONEDNN_OPTS"],
                figures["resizer_convolution_forms"], features))


def _jax_version():
    if BACKEND != "jax":
        return None
    import jax

    return jax.__version__


def print_table(title, header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    print("\n" + title)
    for row in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def finish(args, results, ratios):
    """Print the configuration timed and the named ratios of ``results``, and write them all to ``--json``."""
    if "machine" in results:
        print(configuration(results["machine"]))
    for key in ratios:
        value = results.get(key)
        for name, ratio in (value.items() if isinstance(value, dict) else [(key, value)]):
            if ratio is not None:
                print("{:<24} {:.2f}".format(name if name == key else "{}[{}]".format(key, name), ratio))
    write_json(args.json, results)
    return results


def write_json(path, results):
    if path:
        with open(path, "w") as handle:
            json.dump(results, handle, indent=2, default=float)
        print("\nwrote {}".format(path))


def fmt(value, digits=2):
    return "{:.{}f}".format(value, digits) if isinstance(value, (float, np.floating)) else str(value)
