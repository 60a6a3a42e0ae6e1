from .launch import (add_common_args, format_metrics_table,
                     load_config_from_args, run_runner, run_tool)
from .progress import ProgressLine

__all__ = [
    'add_common_args', 'format_metrics_table', 'load_config_from_args',
    'run_runner', 'run_tool', 'ProgressLine'
]
