from pathlib import Path

import pytest

from seld.config import CONFIG_DIR, config_from_dict, config_to_dict, load_config
from seld.errors import ConfigError


def test_every_shipped_config_loads():
    names = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
    assert {"paper", "seldnet", "demo", "table1_roam", "table2_adaptive"} <= set(names)
    for name in names:
        cfg = load_config(name)
        assert cfg.name == name


def test_ablation_configs_differ_from_paper_only_where_named():
    paper = config_to_dict(load_config("paper"))
    mfm = config_to_dict(load_config("table1_mfm"))
    assert mfm["model"]["attention"] == "mfm"
    mfm["model"]["attention"] = "roam"
    mfm["name"] = "paper"
    assert mfm == paper
    fixed = load_config("table2_l08_t04")
    assert (fixed.loss.weighting, fixed.loss.lambda_sed, fixed.loss.tau_doa) == ("fixed", 0.8, 0.4)


def test_overrides_and_types():
    cfg = load_config("demo", ["train.lr=1e-3", "model.channels=[8,8,8,8]", "data.mics=2"])
    assert cfg.train.lr == pytest.approx(1e-3) and cfg.model.channels == [8, 8, 8, 8] and cfg.data.mics == 2
    assert config_from_dict(config_to_dict(cfg)) == cfg


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["model.nope=1"], "unknown key 'nope'"),
        (["train.lr=fast"], "train.lr: expected a number"),
        (["train.batch_size=2.5"], "expected an integer"),
        (["model.attention=se"], "choose one of"),
        (["data.mics=3"], "data.mics must be 1 or 2"),
        (["novalue"], "key=value"),
    ],
)
def test_bad_overrides_are_clear(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config("demo", overrides)


def test_bad_files_name_the_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  attention: roam\n  widths: [1]\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*unknown key 'widths'"):
        load_config(bad)
    wrong_type = tmp_path / "wrong.yaml"
    wrong_type.write_text("train:\n  max_epochs: many\n")
    with pytest.raises(ConfigError, match=r"wrong\.yaml.*train\.max_epochs: expected an integer"):
        load_config(wrong_type)
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: invalid YAML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="no shipped config"):
        load_config("no_such_config")


def test_base_chain(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("train:\n  lr: 0.1\n  batch_size: 4\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\ntrain:\n  lr: 0.2\n")
    cfg = load_config(tmp_path / "b.yaml")
    assert (cfg.train.lr, cfg.train.batch_size, cfg.name) == (0.2, 4, "b")
    (tmp_path / "c.yaml").write_text("base: c.yaml\n")
    with pytest.raises(ConfigError, match="circular"):
        load_config(tmp_path / "c.yaml")
