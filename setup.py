"""resizer-plugin: the learnable image resizer as a zoo preprocessing stage, and the zoo-run recipe host."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
# LiteRT needs NumPy >= 1.23, which TensorFlow 2.6 (Python <= 3.9) refuses: there zoo export checks TFLite files
# with tf.lite.Interpreter instead
EXPORT = ["tf2onnx", "onnxruntime", "ai-edge-litert; python_version >= '3.10'"]
#: the bundled recipes live (and are edited) in the checkout's top-level recipes/, the folder `zoo-run
#: recipes/NAME.yaml` reads; the wheel ships the same files as the package resizer_plugin.recipes, each registered by
#: its file name in zoo.recipes like a third-party package's recipes
RECIPES = ["{} = resizer_plugin.recipes:{}".format(p.stem, p.name) for p in sorted((HERE / "recipes").glob("*.yaml"))]
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "resizer_plugin" / "__init__.py").read_text()).group(1)

setup(
    name="resizer-plugin",
    version=VERSION,
    description="Learnable image resizer (Talebi & Milanfar, ICCV 2021) as a Keras model-zoo preprocessing stage",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["resizer_plugin", "resizer_plugin.*"]) + ["resizer_plugin.recipes"],
    package_dir={"resizer_plugin.recipes": "recipes"},
    package_data={"resizer_plugin.recipes": ["*.yaml"]},
    # npu_device runs on Python 3.7-3.9: vermin checks the code for 3.7, CI's TensorFlow 2.6.5 stage tests it on 3.9
    python_requires=">=3.7",
    # No TensorFlow floor above 2.6: an Ascend machine's TensorFlow 2.6.5 must not be upgraded by this install.
    install_requires=[
        "tensorflow>=2.6",
        "click>=7.0",
        "pyyaml>=5.1",
        "numpy",
        "scipy",  # zoo compare's t-intervals (scipy.stats)
        "matplotlib",
        "pillow",  # image headers read without decoding (resizer_plugin.images); matplotlib brings it too
        "tensorflow-datasets",
        "tensorboard",  # the TensorBoard callback; TensorFlow >= 2.20 no longer pulls it in
        "importlib_resources",  # tensorflow-datasets uses it without declaring it
        "importlib_metadata>=4.4; python_version<'3.10'",  # entry_points(group=), packages_distributions()
    ],
    extras_require={
        # keras-cv backbones need Keras 3; kept out of the core so a tf.keras 2 machine is not upgraded.
        "keras-cv": ["keras-cv"],
        # keras-hub (keras-cv's maintained successor) backbones; it needs Keras 3 (and pulls tensorflow-text)
        "keras-hub": ["keras-hub"],
        # the photo_crops (quickstart) and photo_quality datasets and the README picture use scikit-image's photos
        "examples": ["scikit-image"],
        # zoo export's ONNX converter, and the runtimes it checks TFLite and ONNX artifacts with
        "export": EXPORT,
        # tf-keras: the suite runs again on Keras 2 (TF_USE_LEGACY_KERAS=1); vermin: the Python 3.7 syntax check
        # import-linter: the architecture's import rules (.importlinter), checked by lint-imports in CI
        # jax: the layers and the kit again on Keras 3's JAX backend (the JAX pass; JAX needs Python >= 3.10 here)
        # pytest-xdist: pytest -n auto, the suite on every core (one worker kept the two cores half busy)
        "test": ["pytest>=7", "pytest-xdist", "scikit-image", "keras-cv", "keras-hub", "tf-keras", "vermin",
                 "import-linter", "jax; python_version>='3.10'", "sybil", "hypothesis"] + EXPORT,
        # the mutation run over the modules that guard users ([tool.mutmut] in pyproject.toml; docs/mutation.md)
        "mutation": ["mutmut==3.8.1; python_version>='3.10'"],
    },
    entry_points={
        "console_scripts": ["zoo = resizer_plugin.zoo.cli:run_zoo", "zoo-run = resizer_plugin.zoo.cli:run_zoo_run"],
        "zoo.stages": [
            "rescale = resizer_plugin.stages:rescale",
            "resize = resizer_plugin.stages:resize",
            "learnable_resizer = resizer_plugin.stages:learnable_resizer",
            "muller_resizer = resizer_plugin.stages:muller_resizer",
            "random_flip = resizer_plugin.stages:random_flip",
            "random_crop = resizer_plugin.stages:random_crop",
            "random_rotation = resizer_plugin.stages:random_rotation",
            "random_contrast = resizer_plugin.stages:random_contrast",
            "random_brightness = resizer_plugin.stages:random_brightness",
            "rand_augment = resizer_plugin.stages:rand_augment",
        ],
        "zoo.backbones": [
            "keras.applications = resizer_plugin.backbones.keras_applications:keras_applications",
            "keras_cv = resizer_plugin.backbones.keras_cv:keras_cv",
            "keras_hub = resizer_plugin.backbones.keras_hub:keras_hub",
            "small_cnn = resizer_plugin.backbones.small_cnn:small_cnn",
        ],
        "zoo.datasets": [
            "tfds = resizer_plugin.datasets.tfds:tfds",
            "image_folder = resizer_plugin.datasets.image_folder:image_folder",
            "photo_crops = resizer_plugin.datasets.photo_crops:photo_crops",
            "photo_quality = resizer_plugin.datasets.photo_quality:photo_quality",
        ],
        "zoo.preparers": ["cats_vs_dogs = resizer_plugin.datasets.cats_vs_dogs:cats_vs_dogs"],
        "zoo.runtimes": [
            "ascend = resizer_plugin.runtimes.ascend:ascend",
            "auto = resizer_plugin.runtimes.local:auto",
            "cpu = resizer_plugin.runtimes.local:cpu",
            "gpu = resizer_plugin.runtimes.local:gpu",
        ],
        "zoo.recipes": RECIPES,
        "pytest11": ["zoo_conformance = resizer_plugin.testing.pytest_plugin"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: Pytest",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
