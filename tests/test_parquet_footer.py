"""Spark's Parquet footers list each column chunk's encodings in a JVM-dependent order; Baton sorts them."""

from pathlib import Path

import pyarrow.parquet as pq

from baton.parquet_footer import _Reader, normalize_encodings


def encoding_lists(path: Path) -> list[tuple[int, int]]:
    data = bytearray(path.read_bytes())
    reader = _Reader(data, len(data) - 8 - int.from_bytes(data[-8:-4], "little"))
    found: list[tuple[int, int]] = []
    reader.struct((), found)
    return found


def test_a_shuffled_encoding_list_is_sorted_back_and_the_file_still_reads(spark, tmp_path):
    df = spark.createDataFrame([(1, "a", 1.5), (2, None, 2.5), (2, "b", None)], "i INT, s STRING, d DOUBLE")
    df.coalesce(1).write.parquet(str(tmp_path / "t"))
    path = next((tmp_path / "t").glob("*.parquet"))
    normalize_encodings(path)
    sorted_bytes = path.read_bytes()
    lists = encoding_lists(path)
    assert lists and all(end - start >= 2 for start, end in lists)  # several encodings per column chunk
    shuffled = bytearray(sorted_bytes)
    for start, end in lists:
        shuffled[start:end] = bytes(reversed(shuffled[start:end]))
    assert shuffled != bytearray(sorted_bytes)
    path.write_bytes(bytes(shuffled))
    assert normalize_encodings(path) is True
    assert path.read_bytes() == sorted_bytes
    assert normalize_encodings(path) is False
    assert pq.read_table(path).to_pylist() == [{"i": 1, "s": "a", "d": 1.5}, {"i": 2, "s": None, "d": 2.5},
                                               {"i": 2, "s": "b", "d": None}]
