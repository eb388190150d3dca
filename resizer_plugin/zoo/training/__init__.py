"""A recipe trained: the run (``run``), its plan (``planning``), and the pieces it puts in order: the model, the data
pipeline, the optimizer, the callbacks, checkpoints, metrics, logs and the run's directory."""
