"""conf/<env>.json read into one typed, frozen object: unknown, missing and mistyped keys are refused."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path

import pytest

import conf
from baton.errors import SettingError


def _shipped(env: str) -> dict:
    return json.loads(resources.files("conf").joinpath(f"{env}.json").read_text(encoding="utf-8"))


def _conf_dir(tmp_path: Path, env: str, change) -> Path:
    raw = _shipped(env)
    change(raw)
    (tmp_path / f"{env}.json").write_text(json.dumps(raw))
    return tmp_path


@pytest.mark.parametrize("env", conf.ENVIRONMENTS)
def test_the_shipped_environments_load(env):
    settings = conf.load(env)
    assert settings.environment == env and settings.file == f"conf/{env}.json"
    assert settings.spark.shuffle_partitions > 0 and settings.notifications.topic.startswith("arn:aws:sns:")
    assert (settings.deployment is None) == (env == "local") and (settings.cost is None) == (env == "local")


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        conf.load("local").spark.master = "local[8]"  # type: ignore[misc]


def test_an_unknown_key_is_refused_with_the_file_and_the_key(tmp_path):
    folder = _conf_dir(tmp_path, "dev", lambda raw: raw["spark"].update(shufflePartition=8))
    with pytest.raises(SettingError) as raised:
        conf.load("dev", folder)
    assert str(raised.value).startswith(f"setting spark.shufflePartition in {folder / 'dev.json'}: unknown key")
    assert raised.value.setting == "spark.shufflePartition"


def test_a_missing_key_is_refused_with_the_file_and_the_key(tmp_path):
    folder = _conf_dir(tmp_path, "prod", lambda raw: raw["deployment"]["glue"].pop("workerType"))
    with pytest.raises(SettingError, match=r"setting deployment\.glue\.workerType in .*prod\.json: missing"):
        conf.load("prod", folder)


def test_a_wrong_type_is_refused_with_the_file_and_the_key(tmp_path):
    folder = _conf_dir(tmp_path, "local", lambda raw: raw["retry"].update(waitFactor="fast"))
    with pytest.raises(SettingError, match=r'setting retry\.waitFactor in .*local\.json: must be a number, '
                                           r'got "fast"'):
        conf.load("local", folder)


def test_a_section_given_where_an_object_belongs_is_refused(tmp_path):
    folder = _conf_dir(tmp_path, "local", lambda raw: raw.update(lineage="file"))
    with pytest.raises(SettingError, match=r"setting lineage in .*: must be a JSON object"):
        conf.load("local", folder)


def test_optional_sections_are_none_when_absent_and_checked_when_present(tmp_path):
    assert conf.load("local").deployment is None
    folder = _conf_dir(tmp_path, "dev", lambda raw: raw["cost"]["s3"].update(retentionDays=True))
    with pytest.raises(SettingError, match=r"setting cost\.s3\.retentionDays in .*: must be a whole number"):
        conf.load("dev", folder)


def test_the_emr_mode_needs_its_cluster(tmp_path):
    folder = _conf_dir(tmp_path, "prod", lambda raw: raw["emr"].pop("clusterId"))
    with pytest.raises(SettingError, match=r"setting emr\.clusterId in .*: missing: emr\.mode is existing"):
        conf.load("prod", folder)


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("BATON_ENV", "staging")
    with pytest.raises(SettingError, match="unknown environment 'staging'"):
        conf.load()


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(SettingError, match=r"file .*dev\.json: no settings file"):
        conf.load("dev", tmp_path)
