"""Runtimes this package registers in ``zoo.runtimes`` (see setup.py): local CPU/GPU (and auto), and Ascend."""
