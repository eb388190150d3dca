"""The learnable resizer's Keras layers (being split into modules; this commit only moves the file)."""
from .learnable_resizer import *  # noqa: F401,F403
from .learnable_resizer import __all__  # noqa: F401
from .learnable_resizer import (  # noqa: F401
    _conv_forward, _conv_with_forward_input_gradient, _cpu_forms_are_faster, _pointwise_as_matmul,
    _row_then_column_conv, _space_to_depth_conv, _stacked_rows_conv)
