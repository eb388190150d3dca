"""``python -m resizer_plugin.zoo.cli RECIPE`` is ``zoo-run RECIPE``."""
from . import run_zoo_run

run_zoo_run()
