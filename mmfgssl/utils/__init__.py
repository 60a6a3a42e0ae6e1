from .launch import (add_common_args, format_metrics_table,
                     load_config_from_args, run_tool)

__all__ = [
    'add_common_args', 'format_metrics_table', 'load_config_from_args',
    'run_tool'
]
