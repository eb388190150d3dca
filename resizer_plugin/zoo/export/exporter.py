"""``zoo export``: a run's model as serving artifacts (Keras, SavedModel, TFLite, ONNX), each reloaded in a fresh
process with its own runtime (``check``) and compared with the Keras model on the run's validation images
before it is kept; and its backbone's weights alone, the file a recipe's ``model.backbone.weights`` takes (checked
by building the backbone with it in a fresh process, as such a recipe would).

The serving model is the recipe's model computing in float32: uint8 images of ``data.image_size`` in, class
probabilities out, every stage inside. It is built and traced outside the runtime's computation scope, so it holds
stock TensorFlow ops only (never the convolution forms a runtime may pick for its own hardware).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

from ...compat import BACKEND, keras
from ..training.checkpoints import restore_model
from ..training.children import child_environment, remove
from ..training.model import build_model
from ..training.pipeline import split_batches
from .formats import BY_NAME, QUANTIZATIONS, names

__all__ = ["ExportError", "TOLERANCE", "check_backbone_format", "export_run", "parse_formats", "serving_model"]

#: largest |difference| of any probability allowed between a float32 artifact and the Keras model
TOLERANCE = 1e-4
#: validation images every artifact is compared on (a quantized one: the whole split)
COMPARED_IMAGES = 64
EXTRA = "pip install 'resizer-plugin[export]' (in a checkout: pip install -e '.[export]')"


class ExportError(ValueError):
    """A format that cannot be asked for or written, or an artifact that failed its check."""


def parse_formats(text, quantize=None):
    """``--format`` (comma-separated) as a list, checked: known formats (``formats.FORMATS``), their tools
    installed."""
    chosen = list(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in BY_NAME]
    if unknown or not chosen:
        raise ExportError("--format {!r}: unknown format {} (choose from {})".format(
            text, ", ".join(repr(f) for f in unknown) or "(none given)", ", ".join(names())))
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ExportError("--quantize {!r}: choose from {}".format(quantize, ", ".join(QUANTIZATIONS)))
    needed = chosen + (["tflite"] if quantize else [])
    elsewhere = [name for name in needed if BACKEND not in BY_NAME[name].backends]
    if elsewhere:
        raise ExportError("--format {}: {} is not written from Keras' {} backend (its converter reads TensorFlow "
                          "functions); the run's checkpoints are backend-neutral: KERAS_BACKEND=tensorflow zoo export "
                          "RUN --format {}".format(text, ", ".join(elsewhere), BACKEND, ",".join(elsewhere)))
    missing = sorted({tool for name in needed for tool in BY_NAME[name].missing_tools()})
    if missing:
        raise ExportError("--format {}: needs {}, not installed: {}".format(text, ", ".join(missing), EXTRA))
    return chosen


def serving_model(run):
    """The opened ``run``'s model (a model.RecipeModel) rebuilt in float32 (whatever precision it trained in), its
    checkpoint restored."""
    trained_policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        built = build_model(run.recipe, len(run.class_names))
    finally:
        keras.mixed_precision.set_global_policy(trained_policy)
    restore_model(built.model, run.checkpoint)
    return built


def _validation_images(run, count=None):
    """The first ``count`` (None: all) images of the run's validation split, uint8, as the pipeline feeds them."""
    batches = split_batches(run.recipe, run.recipe.dataset_options["val_split"], len(run.class_names), 64,
                            take=count)
    return np.concatenate([images.numpy() for images, _ in batches])


def _probabilities(model, images):
    return np.concatenate([np.asarray(model(images[i:i + 64], training=False), np.float32)
                           for i in range(0, len(images), 64)])


def _write(fmt, built, path, workdir, quantize=None):
    """Write the model of ``built`` (its backbone, for ``backbone``) as ``fmt`` to ``path``."""
    remove(path)
    BY_NAME[fmt].write(built, path, workdir, quantize)


def _size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def _plugins(recipe):
    """Entry points (``group:name``) of the recipe's stages and backbone: their modules register the classes a
    ``.keras`` file names."""
    return ["zoo.stages:" + stage.name for stage, _ in recipe.stages] + ["zoo.backbones:" + recipe.backbone.name]


def _backbone_spec(built, recipe, workdir):
    """A JSON file naming the recipe's backbone (family, model, options, input size): ``check`` builds it
    with a weights file from these, as a recipe would."""
    spec_file = os.path.join(workdir, "backbone.json")
    options = {key: value for key, value in recipe.backbone_options.items() if key != "weights"}
    with open(spec_file, "w") as handle:
        json.dump({"family": recipe.backbone.name, "model": recipe.backbone_model, "options": options,
                   "input": list(built.backbone_input)}, handle)
    return [spec_file]


def _tail(text, lines=12):
    return "\n".join("  " + line for line in text.strip().splitlines()[-lines:])


def _check(fmt, path, images, plugins, workdir):
    """The artifact reloaded in a fresh process: its outputs for ``images`` and its images/s at batch 1 and 16. The
    process dies with this one, and then removes the artifact and the work folder (``training.children``)."""
    images_file, outputs_file, timing_file = (os.path.join(workdir, name)
                                              for name in ("images.npy", "outputs.npy", "timing.json"))
    np.save(images_file, images)
    command = [sys.executable, "-m", "resizer_plugin.zoo.export.check", fmt, path, images_file, outputs_file,
               timing_file] + plugins
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            env=child_environment([workdir, path]))
    if result.returncode != 0:
        raise ExportError("{}: reloading it in a fresh process failed:\n{}".format(path, _tail(result.stderr)))
    with open(timing_file) as handle:
        return np.load(outputs_file), json.load(handle)


def _written(fmt, built, target, workdir, quantize):
    """``target``'s partial file written; ExportError naming ``target`` when the converter fails."""
    partial = _partial(target)
    try:
        _write(fmt, built, partial, workdir, quantize)
    except Exception as error:  # converters fail in their own ways; say which format, keep nothing half-written
        remove(partial)
        raise ExportError("{}: writing {} failed: {}: {}".format(target, fmt, type(error).__name__, error)) from error
    return partial


def _partial(target):
    """Where ``target`` is written and checked before it takes its name: ``.partial.<name>`` beside it (hidden, and
    removed on every way out but success), so that an interrupted export leaves nothing that looks checked."""
    folder, name = os.path.split(target)
    return os.path.join(folder, ".partial." + name)


def _checked_record(fmt, partial, target, reference, plugins, workdir, quantize):
    """The record of the written ``partial`` artifact, checked in a fresh process; ExportError when it fails: any
    difference not finite, or a float32 artifact's largest one over TOLERANCE."""
    images, expected = reference
    outputs, speed = _check(fmt, partial, images, plugins, workdir)
    gaps = np.abs(outputs - expected)
    if not np.all(np.isfinite(gaps)):  # NaN compares false with everything: refused here, by name
        raise ExportError("{}: refused and removed: its outputs differ from the Keras model's by NaN or infinity on "
                          "{} validation images".format(target, len(images)))
    difference = float(np.max(gaps))  # the largest difference of any probability, never an average
    record = {"format": fmt, "file": os.path.basename(target), "bytes": _size(partial),
              "max_abs_difference": difference, "compared_images": len(images), "images_per_second": speed}
    if quantize:
        agreement = float(np.mean(np.argmax(outputs, axis=1) == np.argmax(expected, axis=1)))
        return dict(record, quantization=quantize, top1_agreement=agreement)
    if difference > TOLERANCE:
        raise ExportError("{}: refused and removed: its outputs differ from the Keras model's by up to {:.3g} on {} "
                          "validation images (allowed {:g})".format(target, difference, len(images), TOLERANCE))
    return record


def export_one(fmt, built, target, reference, plugins, workdir, quantize=None):
    """Write ``built``'s model as ``fmt``, reload it in a fresh process and compare it with ``reference`` ((inputs,
    Keras outputs)), then move it to ``target``; its export.json record. A float32 artifact off by more than
    TOLERANCE, or with outputs that are not finite, is removed and ExportError raised; a quantized one is kept, its
    top-1 agreement recorded. However it ends (a refusal, an interruption), the partial file is gone."""
    partial = _written(fmt, built, target, workdir, quantize)
    try:
        record = _checked_record(fmt, partial, target, reference, plugins, workdir, quantize)
        remove(target)
        os.replace(partial, target)
    finally:
        remove(partial)  # gone already where it became target
    return record


def _backbone_reference(built, images):
    """(what the backbone receives from the stages, what it gives) for ``images``: the backbone file's check."""
    inputs = np.asarray(built.stages(images, training=False), np.float32)
    return inputs, np.asarray(built.backbone(inputs, training=False), np.float32)


def _jobs(run, built, formats, quantize):
    """(format, quantization, (inputs, Keras outputs)) of each artifact to write."""
    images = _validation_images(run, None if quantize else COMPARED_IMAGES)
    probabilities = _probabilities(built.model, images)
    first = (images[:COMPARED_IMAGES], probabilities[:COMPARED_IMAGES])
    jobs = [(fmt, None, _backbone_reference(built, first[0]) if fmt == "backbone" else first) for fmt in formats]
    if quantize:
        jobs.append(("tflite", quantize, (images, probabilities)))
    return jobs


def _kept_records(report_file, output_dir, replaced):
    """Records of an earlier export.json whose artifacts are still there and are not written again now."""
    if not os.path.isfile(report_file):
        return []
    with open(report_file) as handle:
        earlier = json.load(handle).get("artifacts", [])
    return [r for r in earlier if r["file"] not in replaced and os.path.exists(os.path.join(output_dir, r["file"]))]


def _write_report(run, model, output_dir, records):
    report_file = os.path.join(output_dir, "export.json")
    records = _kept_records(report_file, output_dir, {r["file"] for r in records}) + records
    report = {"run": run.run_dir.root, "checkpoint": run.checkpoint, "classes": run.class_names,
              "input": {"name": "image", "dtype": "uint8", "shape": [None] + list(model.input_shape[1:])},
              "output": "float32 probabilities of the classes, in the order of 'classes'",
              "tolerance": TOLERANCE, "tensorflow": tf.__version__, "keras": keras.__version__, "backend": BACKEND,
              "artifacts": records}
    with open(report_file + ".tmp", "w") as handle:
        json.dump(report, handle, indent=2)
    os.replace(report_file + ".tmp", report_file)
    return report_file


def check_backbone_format(recipe, formats):
    """Refuse ``backbone`` for a backbone family that takes no weights file (nothing could use the file)."""
    if "backbone" in formats and "weights" not in recipe.backbone.options:
        raise ExportError("--format backbone: the {} backbone family takes no weights file (no 'weights' option), "
                          "so no recipe could load it".format(recipe.backbone.name))


def export_run(run, formats, output_dir, quantize=None, progress=print):
    """Export the opened ``run`` (finished_run.FinishedRun) in each of ``formats`` (and a TFLite artifact quantized
    as ``quantize``) to ``output_dir``; ``progress(record or error)`` after each. Returns (export.json's path,
    records, errors of the artifacts refused)."""
    built = serving_model(run)
    os.makedirs(output_dir, exist_ok=True)
    records, refused = [], []
    with tempfile.TemporaryDirectory(prefix="zoo-export-") as workdir:
        for fmt, quantization, reference in _jobs(run, built, formats, quantize):
            target = os.path.join(output_dir, BY_NAME[fmt].file_name(quantization))
            plugins = _backbone_spec(built, run.recipe, workdir) if fmt == "backbone" else _plugins(run.recipe)
            try:
                records.append(export_one(fmt, built, target, reference, plugins, workdir, quantization))
                progress(records[-1])
            except ExportError as error:
                refused.append(error)
                progress(error)
    return _write_report(run, built.model, output_dir, records), records, refused
