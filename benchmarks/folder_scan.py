"""The image_folder scan: the header-only scan's first start (files/s) and cached start (seconds) beside the scan it
replaced (every file decoded by TensorFlow), on N JPEGs in class folders with 1% broken, empty and non-image files,
and both extrapolated to ImageNet's 1.28 M training files. The files are just written: the page cache is warm.

    python -m benchmarks.folder_scan --files 10000 100000 --json folder_scan.json
"""
import argparse
import concurrent.futures
import io
import os
import platform
import shutil
import statistics
import tempfile
import time

import numpy as np
from PIL import Image

from resizer_plugin.folder_scan import CACHE_NAME, INLINE_BELOW, class_files, scan_folder, user_cache_file
from resizer_plugin.images import decode_problem
from resizer_plugin.photos import PHOTO_NAMES, load_photo

# No module level import of .common (it loads TensorFlow): the scan's worker processes import this module again, as
# 'spawn' imports the main module, and must stay light.

IMAGENET_FILES = 1281167
#: the bad files, one in a hundred, in turn: a JPEG cut to a third (its header intact), an empty file, a text file
BAD_KINDS = ("broken", "empty", "not an image")


def _encoded_crops(size, count=16, seed=0):
    """``count`` JPEGs (quality 90) of ``size`` (width, height) cut from the free sample photos."""
    rng, crops = np.random.RandomState(seed), []
    for i in range(count):
        photo = load_photo(PHOTO_NAMES[i % len(PHOTO_NAMES)])
        height, width = min(size[1], photo.shape[0]), min(size[0], photo.shape[1])
        top, left = rng.randint(0, photo.shape[0] - height + 1), rng.randint(0, photo.shape[1] - width + 1)
        buffer = io.BytesIO()
        Image.fromarray(photo[top:top + height, left:left + width]).save(buffer, format="JPEG", quality=90)
        crops.append(buffer.getvalue())
    return crops


def write_folder(folder, count, classes, size):
    """``count`` files in ``classes`` class folders: JPEGs of ``size`` (a few encodings written again and again),
    every hundredth a bad one (:data:`BAD_KINDS` in turn). Returns the class names."""
    names = ["class_{:02d}".format(k) for k in range(classes)]
    for name in names:
        os.makedirs(os.path.join(folder, name), exist_ok=True)
    crops = _encoded_crops(size)
    bad = {"broken": crops[0][:len(crops[0]) // 3], "empty": b"", "not an image": b"a note, named .jpg"}
    for i in range(count):
        data = bad[BAD_KINDS[(i // 100) % 3]] if i % 100 == 99 else crops[i % len(crops)]
        with open(os.path.join(folder, names[i % classes], "{:07d}.jpg".format(i)), "wb") as handle:
            handle.write(data)
    return names


def _decoded_problem(path):
    with open(path, "rb") as handle:
        return decode_problem(handle.read())


def previous_scan(folder, class_names):
    """The scan image_folder ran before the header-only one, kept here as the baseline: every file listed, read and
    decoded by TensorFlow on a pool of max(2, cores) threads. Returns how many files it skipped."""
    files = [path for name in class_names for path in class_files(os.path.join(folder, name))]  # the same listing
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return sum(problem is not None for problem in pool.map(_decoded_problem, files))


def _seconds(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _forget_the_cache(folder):
    for cache in (os.path.join(folder, CACHE_NAME), user_cache_file(folder)):
        if os.path.exists(cache):
            os.remove(cache)


def measure(folder, count, args):
    """The figures of one folder of ``count`` files."""
    names = write_folder(folder, count, args.classes, args.size)
    _forget_the_cache(folder)
    first, scan = _seconds(lambda: scan_folder(folder, names))
    cached = statistics.median(_seconds(lambda: scan_folder(folder, names))[0] for _ in range(args.repeats))
    figures = {"files": count, "header_scan_seconds": first, "header_scan_files_per_second": count / first,
               "header_scan_in_a_pool": count >= INLINE_BELOW, "header_scan_skipped": scan.examined - len(scan.paths),
               "cached_start_seconds": cached}
    if not args.skip_previous:
        seconds, skipped = _seconds(lambda: previous_scan(folder, names))
        figures.update(previous_scan_seconds=seconds, previous_scan_files_per_second=count / seconds,
                       previous_scan_skipped=skipped, speedup=(count / first) / (count / seconds))
    scale = IMAGENET_FILES / float(count)
    figures["imagenet"] = {"header_scan_seconds": first * scale, "cached_start_seconds": cached * scale,
                           "previous_scan_seconds": figures.get("previous_scan_seconds", float("nan")) * scale}
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10000, 100000], help="folder sizes to measure")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--size", type=int, nargs=2, default=[500, 375], metavar=("W", "H"),
                        help="JPEG size (cats_vs_dogs' photos are about 500x375)")
    parser.add_argument("--repeats", type=int, default=3, help="cached starts timed (the median is reported)")
    parser.add_argument("--skip-previous", action="store_true", help="do not time the previous scan")
    parser.add_argument("--folder", help="write the files here (default: a temporary folder, removed after)")
    parser.add_argument("--json", help="write the results to this JSON file")
    return run(parser.parse_args(argv))


def run(args):
    """Measure every size of ``--files`` (each in a folder of its own); print and return the figures."""
    from .common import fmt, print_table, write_json

    if not args.skip_previous:
        decode_problem(b"")  # TensorFlow loaded before the previous scan is timed
    parent = args.folder or tempfile.mkdtemp(prefix="folder_scan.")
    results = {"benchmark": "folder_scan", "settings": vars(args), "sizes": [],
               "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                           "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}}
    try:
        for count in args.files:
            print("{:,} files: writing, scanning ...".format(count), flush=True)
            results["sizes"].append(measure(os.path.join(parent, "files_{}".format(count)), count, args))
    finally:
        if not args.folder:
            shutil.rmtree(parent, ignore_errors=True)
    print_table("image_folder scan, {}x{} JPEGs, 1% bad, warm page cache, {} cores".format(
        *args.size, results["machine"]["cores"]),
        ["files", "previous files/s", "header scan files/s", "speed-up", "cached start s",
         "1.28 M: previous min", "1.28 M: header scan min", "1.28 M: cached start s"],
        [["{:,}".format(f["files"]), fmt(f.get("previous_scan_files_per_second", "-"), 0),
          fmt(f["header_scan_files_per_second"], 0), fmt(f.get("speedup", "-"), 1), fmt(f["cached_start_seconds"], 3),
          fmt(f["imagenet"]["previous_scan_seconds"] / 60, 1), fmt(f["imagenet"]["header_scan_seconds"] / 60, 1),
          fmt(f["imagenet"]["cached_start_seconds"], 1)] for f in results["sizes"]])
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
