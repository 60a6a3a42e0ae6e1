"""Live progress of the tools that run other tools (``run_protocol.py``,
``partseg_protocol.py``, the quick start).

The child tool's full output goes to its log file; what a person sees is one
line per stage, updated in place on a terminal (a new line at most every
``interval`` seconds elsewhere, e.g. in CI logs): the stage, epoch and
iteration with mmengine's ETA, the latest loss and validation metric.
"""
import re
import sys
import time
from typing import Optional

_TRAIN = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\].*?'
                    r'eta: (\S+)')
_LOSS = re.compile(r'\bloss: ([\d.]+)')
# the metrics line of a validation, not its progress lines (eta, time)
_VAL = re.compile(r'Epoch\(val\)\s+\[(\d+)\]\[\s*\d+/\d+\]\s+(?!eta:)(\S+): '
                  r'([\d.]+)')
_TEST_PROGRESS = re.compile(r'Epoch\(test\)\s+\[\s*(\d+)/(\d+)\]')


class ProgressLine:
    """Turns a tool's mmengine log lines into one status line.

    Args:
        stage: what is running, e.g. ``'pre-train lcr_synthetic seed 0'``.
        max_epochs: total epochs (mmengine's lines do not say).
        stream: where to write (stdout).
        interval: seconds between printed lines when the stream is not a
            terminal.
        in_place: update one line in place on a terminal (False: print
            lines as elsewhere, for stages that run side by side).
    """

    def __init__(self,
                 stage: str,
                 max_epochs: Optional[int] = None,
                 stream=None,
                 interval: float = 30.0,
                 in_place: bool = True) -> None:
        self.stage, self.max_epochs = stage, max_epochs
        self.stream = stream or sys.stdout
        # several stages running at once print lines, never overwrite one
        self.tty = in_place and self.stream.isatty()
        self.interval = interval
        self.fields = {}
        self.last_print = 0.0
        self.shown = ''

    def update(self, line: str) -> None:
        """Read one line of the tool's output."""
        match = _TRAIN.search(line)
        if match:
            epoch, it, iters, eta = match.groups()
            total = f'/{self.max_epochs}' if self.max_epochs else ''
            self.fields['at'] = f'epoch {epoch}{total} iter {it}/{iters}'
            self.fields['eta'] = f'eta {eta}'
            loss = _LOSS.search(line)
            if loss:
                self.fields['loss'] = f'loss {float(loss.group(1)):.3f}'
        match = _VAL.search(line)
        if match:
            epoch, name, value = match.groups()
            self.fields['val'] = f'val {name} {float(value):.2f} (epoch ' \
                                 f'{epoch})'
        match = _TEST_PROGRESS.search(line)
        if match:
            self.fields['at'] = f'batch {match.group(1)}/{match.group(2)}'
            self.fields.pop('eta', None)
        self._show()

    def _show(self, force: bool = False) -> None:
        text = ' | '.join([self.stage] + [
            self.fields[k]
            for k in ('at', 'eta', 'loss', 'val') if k in self.fields
        ])
        if text == self.shown and not force:
            return
        now = time.time()
        if self.tty:
            self.stream.write('\r' + text.ljust(len(self.shown)))
        elif force or now - self.last_print >= self.interval:
            self.stream.write(text + '\n')
        else:
            return
        self.shown, self.last_print = text, now
        self.stream.flush()

    def close(self, status: str = 'done') -> None:
        """End the line (the final state, then ``status``)."""
        self.fields.pop('eta', None)
        self.fields['at'] = f"{self.fields.get('at', '')} [{status}]".strip()
        self._show(force=True)
        if self.tty:
            self.stream.write('\n')
            self.stream.flush()
