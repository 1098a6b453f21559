"""The dump reader streams: any chunking gives the same rows, values survive a round trip
through MySQL's escaping, and memory does not grow with the size of the dump."""

import gzip
import io
import time
import tracemalloc
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fanfold.importers.efiction import dump
from fanfold.importers.efiction.dump import read_dump

from .test_dump import EFICTION_BACKUP, MYSQLDUMP, PHPMYADMIN

_ESCAPES = {
    b"\\": b"\\\\",
    b"\0": b"\\0",
    b"\n": b"\\n",
    b"\r": b"\\r",
    b"\x1a": b"\\Z",
    b'"': b'\\"',
    b"\b": b"\\b",
    b"\t": b"\\t",
}


def sql_literal(value, style: int = 0) -> bytes:
    """A value written the way mysqldump or phpMyAdmin would; `style` picks a spelling."""
    if value is None:
        return b"NULL"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, Decimal):
        return f"{value:f}".encode()
    if style == 1:
        return b"0x" + value.hex().encode()
    if style == 2:
        return b"_binary '" + value.replace(b"\\", b"\\\\").replace(b"'", b"\\'") + b"'"
    escaped = value
    for char, escape in _ESCAPES.items():  # the backslash first
        escaped = escaped.replace(char, escape)
    if style == 3:  # phpMyAdmin-like doubled quotes
        return b"'" + escaped.replace(b"'", b"''") + b"'"
    return b"'" + escaped.replace(b"'", b"\\'") + b"'"


def insert(table: str, rows: list[tuple], styles: list[int] | None = None) -> bytes:
    styles = styles or [0]
    tuples = []
    for n, row in enumerate(rows):
        literals = [sql_literal(v, styles[(n + i) % len(styles)]) for i, v in enumerate(row)]
        tuples.append(b"(" + b",".join(literals) + b")")
    return b"INSERT INTO `" + table.encode() + b"` VALUES " + b",\n".join(tuples) + b";\n"


def parse(data: bytes, chunk: int | None = None) -> list:
    with pytest.MonkeyPatch.context() as patch:
        if chunk:
            patch.setattr(dump, "CHUNK", chunk)
            patch.setattr(dump, "LOOKAHEAD", chunk)
        return list(read_dump(io.BytesIO(data)))


values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, max_value=10**9, min_value=-(10**9)
    ),
    st.binary(max_size=40),
    st.sampled_from(
        [b"'", b"\\", b"''", b"\\'", b"\\%", b"\\_", b"); DROP", b"/*", b"--", b"\r\n"]
    ),
)


@given(
    rows=st.lists(st.lists(values, min_size=3, max_size=3).map(tuple), min_size=1, max_size=8),
    styles=st.lists(st.integers(0, 3), min_size=1, max_size=3),
    chunk=st.integers(1, 64),
)
def test_round_trip_through_mysql_escaping_at_any_chunk_size(rows, styles, chunk):
    data = insert("t", rows, styles) + insert("t", rows[:1])
    got = parse(data, chunk)
    assert [row.values for row in got] == rows + rows[:1]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("sql", [MYSQLDUMP, PHPMYADMIN, EFICTION_BACKUP])
def test_tiny_chunks_give_the_same_rows(sql, chunk):
    data = sql.encode()
    assert parse(data, chunk) == parse(data)
    assert parse(gzip.compress(data), chunk) == parse(data)


def test_memory_stays_bounded_on_a_large_dump(tmp_path):
    path = tmp_path / "big.sql.gz"
    text = "Chapter text with “curly quotes”, it\\'s fine; (really).\\n".encode() * 200
    statement = insert("fanfiction_chapters_x", [(n, text, None, n * 7) for n in range(80)])
    statements = 60  # about 60 MB of SQL
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(MYSQLDUMP.encode())
        for _ in range(statements):
            out.write(statement)
        out.write(insert("big", [(1, b"x" * 4_000_000)]))
    size = len(statement) * statements

    start = time.perf_counter()
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_dump(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 2 + 80 * statements + 1
    assert size > 50_000_000
    assert peak < 30_000_000, f"peak {peak / 1e6:.1f} MB while streaming {size / 1e6:.0f} MB"
    assert time.perf_counter() - start < 10
