from .launch import (add_common_args, run_runner, format_metrics_table,
                     load_config_from_args, run_tool)
from .progress import ProgressLine

__all__ = [
    'add_common_args', 'run_runner', 'format_metrics_table',
    'load_config_from_args', 'run_tool', 'ProgressLine'
]
