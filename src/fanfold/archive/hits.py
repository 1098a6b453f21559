"""Buffered hit counts: no database write per reader.

Each process counts hits in memory; a background thread adds them to `Story.hits` every
HITS_FLUSH_SECONDS in one transaction. With HITS_FLUSH_SECONDS=0 there is no thread and
`flush()` is called explicitly (tests, commands).
"""

import atexit
import logging
import threading
from collections import Counter

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_thread: threading.Thread | None = None
_stop = threading.Event()


def record(story_id: int) -> None:
    with _lock:
        _pending[story_id] += 1
    if settings.HITS_FLUSH_SECONDS and _thread is None:
        _start_flusher()


def pending() -> dict[int, int]:
    with _lock:
        return dict(_pending)


def flush() -> int:
    """Write buffered hits to the database; returns how many were written."""
    from fanfold.archive.models import Story

    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if not batch:
        return 0
    try:
        with transaction.atomic():
            for story_id, count in sorted(batch.items()):
                Story.objects.filter(pk=story_id).update(hits=F("hits") + count)
    except Exception:
        # Put them back so the next flush tries again; hits are not worth a crash.
        with _lock:
            _pending.update(batch)
        log.exception("Could not write %d buffered hits", sum(batch.values()))
        return 0
    return sum(batch.values())


def _flush_loop() -> None:
    while not _stop.wait(settings.HITS_FLUSH_SECONDS):
        close_old_connections()
        flush()
        connection.close()


def _start_flusher() -> None:
    global _thread
    with _lock:
        if _thread is not None:
            return
        _thread = threading.Thread(target=_flush_loop, name="fanfold-hits", daemon=True)
        _thread.start()
    atexit.register(flush)
