"""Progress bars for long management commands (demo, recount, import, reindex)."""

from django.core.management.base import OutputWrapper
from tqdm import tqdm


class _TqdmStream:
    """Django's OutputWrapper ends every write with a newline and colours stderr red in a
    terminal; tqdm redraws its line with "\\r". This passes tqdm's writes through as they are.
    """

    def __init__(self, stream: OutputWrapper):
        self.stream = stream
        self.encoding = getattr(stream, "encoding", None)  # tqdm draws Unicode bars for UTF-8

    def write(self, text: str) -> None:
        self.stream.write(text, style_func=lambda unstyled: unstyled, ending="")

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


class ProgressBar(tqdm):
    """tqdm without its monitor thread: `fanfold demo` forks worker processes, and forking
    a process that runs threads can deadlock the children."""

    monitor_interval = 0


def progress_bar(stream: OutputWrapper, **kwargs) -> ProgressBar:
    """A progress bar on a command's stream, shown only when that stream is a terminal."""
    return ProgressBar(file=_TqdmStream(stream), disable=None, **kwargs)
