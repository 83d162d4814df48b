"""Raw sources on S3 are found by the same rule as local ones, whatever the format (moto in-process)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from baton.sources import raw_files

KEYS = ("raw/planes.json", "raw/planes_2013.json", "raw/planes.csv",
        "raw/weather/part-1.json", "raw/weather/part-0.json", "raw/weather/old/part-9.json", "raw/weather/notes.txt")


@pytest.fixture()
def bucket(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="raw-bucket")
        for key in KEYS:
            s3.put_object(Bucket="raw-bucket", Key=key, Body=b"{}")
        yield "s3://raw-bucket/raw"


def names(files):
    return [f.uri.removeprefix("s3://raw-bucket/") for f in files]


def test_a_named_file_of_the_format_wins(bucket, tmp_path):
    assert names(raw_files(bucket, "planes", tmp_path, "json")) == ["raw/planes.json"]
    assert names(raw_files(bucket, "planes", tmp_path, "csv")) == ["raw/planes.csv"]


def test_a_folder_gives_its_own_files_of_the_format_only(bucket, tmp_path):
    found = names(raw_files(bucket, "weather", tmp_path, "json"))
    assert found == ["raw/weather/part-0.json", "raw/weather/part-1.json"]


def test_every_page_of_the_listing_is_read(bucket, tmp_path):
    s3 = boto3.client("s3")
    for i in range(1001):  # one more than a page of list_objects_v2
        s3.put_object(Bucket="raw-bucket", Key=f"raw/flights/part-{i:04d}.parquet", Body=b"")
    found = names(raw_files(bucket, "flights", tmp_path, "parquet"))
    assert len(found) == 1001 and found[-1] == "raw/flights/part-1000.parquet"


def test_a_source_named_like_the_start_of_another_finds_nothing_of_it(bucket, tmp_path):
    assert raw_files(bucket, "plane", tmp_path, "json") == []
