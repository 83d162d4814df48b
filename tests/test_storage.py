"""Both Storage implementations pass the same contract; the boto3 one runs against moto."""

import boto3
import pytest
from moto import mock_aws

from baton.storage import LocalStorage, S3Storage, read_json, write_json


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        yield LocalStorage(tmp_path)
        return
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="baton-workflow")
        yield S3Storage("baton-workflow", "team", client=client)


def test_write_read_exists_delete(storage):
    assert not storage.exists("a/b.json")
    write_json(storage, "a/b.json", {"x": 1})
    assert storage.exists("a/b.json")
    assert read_json(storage, "a/b.json") == {"x": 1}
    storage.delete("a/b.json")
    assert not storage.exists("a/b.json")


def test_list_size_and_delete_prefix(storage):
    storage.write_bytes("p/one", b"12")
    storage.write_bytes("p/sub/two", b"345")
    storage.write_bytes("pq/other", b"6")  # shares the leading characters, not the prefix
    assert storage.list_keys("p") == ["p/one", "p/sub/two"]
    assert storage.size_of_prefix("p") == 5
    storage.delete_prefix("p")
    assert storage.list_keys("p") == []
    assert storage.exists("pq/other")


def test_move_prefix_moves_everything_and_refuses_to_overwrite(storage):
    storage.write_bytes("src/a", b"a")
    storage.write_bytes("src/d/b", b"b")
    storage.move_prefix("src", "dst")
    assert storage.list_keys("dst") == ["dst/a", "dst/d/b"]
    assert storage.list_keys("src") == []
    storage.write_bytes("src/c", b"c")
    with pytest.raises(FileExistsError):
        storage.move_prefix("src", "dst")


def test_append_line(storage):
    storage.append_line("n.jsonl", '{"a": 1}')
    storage.append_line("n.jsonl", '{"a": 2}')
    assert storage.read_bytes("n.jsonl") == b'{"a": 1}\n{"a": 2}\n'


def test_move_single_object(storage):
    storage.write_bytes("x/part-0-uuid.parquet", b"data")
    storage.move("x/part-0-uuid.parquet", "x/part-00000.parquet")
    assert storage.list_keys("x") == ["x/part-00000.parquet"]


def test_copy_keeps_the_source(storage):
    storage.write_bytes("a/part-0.parquet", b"data")
    storage.copy("a/part-0.parquet", "b/part-0.parquet")
    assert storage.read_bytes("b/part-0.parquet") == storage.read_bytes("a/part-0.parquet") == b"data"
    storage.delete_prefix("a")  # the copy outlives its source (a hard link, locally)
    assert storage.read_bytes("b/part-0.parquet") == b"data"
