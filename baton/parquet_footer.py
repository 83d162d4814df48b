"""Make Spark's Parquet files reproducible byte for byte: sort each column chunk's encoding list.

parquet-mr (Spark's Parquet writer) collects a column chunk's encodings in a HashSet keyed by
enum identity hashes, so their order in the footer changes from one JVM to the next while
everything else in the file is the same. ``normalize_encodings`` rewrites that list, in place
and at the same length, in ascending order. The footer is Thrift's compact protocol:
FileMetaData.row_groups(4) -> RowGroup.columns(1) -> ColumnChunk.meta_data(3) ->
ColumnMetaData.encodings(2), a list of i32.
"""

from __future__ import annotations

from pathlib import Path

_MAGIC = b"PAR1"
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(13)
# (struct path of field ids) -> the encodings list lives at FileMetaData/4/*/1/*/3/2
_PATH = (4, 1, 3, 2)


class _Reader:
    def __init__(self, data: bytearray, pos: int):
        self.data = data
        self.pos = pos

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def skip(self, kind: int) -> None:
        if kind in (_TRUE, _FALSE):
            return
        if kind == _BYTE:
            self.pos += 1
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.pos += 8
        elif kind == _BINARY:
            length = self.varint()  # read first: `self.pos += self.varint()` would lose its bytes
            self.pos += length
        elif kind in (_LIST, _SET):
            size, element = self.list_header()
            for _ in range(size):
                if element in (_TRUE, _FALSE):
                    self.pos += 1  # a boolean in a list takes one byte
                else:
                    self.skip(element)
        elif kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip(types >> 4)
                    self.skip(types & 0x0F)
        elif kind == _STRUCT:
            self.struct(())
        else:
            raise ValueError(f"unknown Thrift compact type {kind} at byte {self.pos}")

    def list_header(self) -> tuple[int, int]:
        header = self.byte()
        size = header >> 4
        return (self.varint() if size == 15 else size), header & 0x0F

    def struct(self, path: tuple[int, ...], found: list | None = None) -> None:
        """Walk a struct; record (start, count) of every i32 list at ``_PATH`` in ``found``."""
        field = 0
        while True:
            header = self.byte()
            if header == _STOP:
                return
            delta, kind = header >> 4, header & 0x0F
            field = field + delta if delta else _zigzag(self.varint())
            here = (*path, field)
            if found is not None and here == _PATH[: len(here)] and kind in (_LIST, _STRUCT):
                self._descend(here, kind, found)
            else:
                self.skip(kind)

    def _descend(self, here: tuple[int, ...], kind: int, found: list) -> None:
        if kind == _STRUCT:
            self.struct(here, found)
            return
        size, element = self.list_header()
        if here == _PATH and element == _I32:
            start = self.pos
            for _ in range(size):
                self.varint()
            found.append((start, self.pos))
            return
        for _ in range(size):
            if element == _STRUCT:
                self.struct(here, found)
            else:
                self.skip(element)


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def normalize_encodings(path: Path) -> bool:
    """Sort the encoding lists in ``path``'s footer in place; True if the file changed."""
    data = bytearray(path.read_bytes())
    if data[:4] != _MAGIC or data[-4:] != _MAGIC:
        raise ValueError(f"{path} is not a Parquet file")
    footer_length = int.from_bytes(data[-8:-4], "little")
    reader = _Reader(data, len(data) - 8 - footer_length)
    found: list[tuple[int, int]] = []
    reader.struct((), found)
    changed = False
    for start, end in found:
        values = bytes(data[start:end])
        if len(values) != end - start or any(b & 0x80 for b in values):
            continue  # a multi-byte varint: not an encoding id Parquet defines; leave it
        ordered = bytes(sorted(values, key=_zigzag))
        if ordered != values:
            data[start:end] = ordered
            changed = True
    if changed:
        path.write_bytes(bytes(data))
    return changed
