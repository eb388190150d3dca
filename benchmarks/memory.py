"""Peak memory of a training step for each variant, each measured in a fresh process (peak resident memory on
CPU; TensorFlow's peak device memory on GPU).

    python -m benchmarks.memory --batch-size 16 --json memory.json
"""
import json
import os
import subprocess
import sys
import tempfile

from .common import VARIANTS, common_arguments, fmt, print_table, resolve_conv_forms, write_json

_CHILD = """
import json, resource, sys
import tensorflow as tf
from benchmarks import train_step
gpus = tf.config.list_physical_devices("GPU")
results = train_step.main(sys.argv[2:])
peak = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
if gpus:
    peak["peak_gpu_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2 ** 20
json.dump(peak, open(sys.argv[1], "w"))
"""


def main(argv=None):
    parser = common_arguments(__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    forms = resolve_conv_forms(args.conv_forms)  # resolved here, so the table says which forms the children ran
    forwarded = ["--batch-size", str(args.batch_size), "--input-size"] + [str(v) for v in args.input_size] + \
        ["--target-size"] + [str(v) for v in args.target_size] + \
        ["--backbone", args.backbone, "--precision", args.precision, "--steps", "1", "--warmup", "1"] + \
        ["--conv-forms", forms] + (["--jit"] if args.jit else [])
    results = {"benchmark": "memory", "settings": vars(args), "resizer_convolution_forms": forms, "variants": {}}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for variant in args.variants:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([sys.executable, "-c", _CHILD, out.name] + forwarded + ["--variants", variant],
                           check=True, cwd=root, stdout=subprocess.DEVNULL)
            results["variants"][variant] = json.load(open(out.name))
    keys = sorted({k for v in results["variants"].values() for k in v})
    title = "peak memory of a training step, batch {}, resizer convolution forms: {}".format(args.batch_size, forms)
    print_table(title, ["variant"] + keys,
                [[name] + [fmt(values.get(k), 0) for k in keys] for name, values in results["variants"].items()])
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
