"""Config loading: YAML + flags, unknown keys with the closest valid key, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicexpr.config import DemoConfig, SimulateConfig, StrictModel, load_config
from hicexpr.lib.errors import InputError, closest


class Inner(StrictModel):
    epochs: int = 10
    learning_rate: float = 0.01


class Outer(StrictModel):
    name: str = "x"
    model: Inner = Inner()
    optional_model: Inner | None = None
    layers: list[Inner] = []


def test_yaml_then_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seed: 3\nn_genes: 50\n")
    conf = load_config(SimulateConfig, cfg, {"n_genes": 40, "n_times": None})
    assert (conf.seed, conf.n_genes, conf.n_times) == (3, 40, 40)
    assert load_config(SimulateConfig).model_dump()["genome_size"] == 24_000_000
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_config(DemoConfig, empty).seed == 0


def test_unknown_key_names_closest(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("n_gene: 5\n")
    with pytest.raises(InputError) as err:
        load_config(SimulateConfig, cfg)
    msg = str(err.value)
    assert msg.startswith(f"{cfg}: unknown key 'n_gene'") and "did you mean 'n_genes'" in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    "data, key, hint",
    [
        ({"model": {"epoch": 3}}, "model.epoch", "epochs"),
        ({"optional_model": {"learning_rat": 0.1}}, "optional_model.learning_rat", "learning_rate"),
        ({"layers": [{"epochs": 1}, {"epohcs": 2}]}, "layers.1.epohcs", "epochs"),
    ],
)
def test_unknown_nested_key(data: dict, key: str, hint: str) -> None:
    with pytest.raises(InputError) as err:
        load_config(Outer, None, data)
    assert f"unknown key '{key}'" in str(err.value)
    assert f"did you mean '{hint}'" in str(err.value)


def test_invalid_value_names_field(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"config: field 'model.epochs': expected .*integer"):
        load_config(Outer, None, {"model": {"epochs": "many"}})


def test_bad_yaml_reports_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seed: 1\nn_genes: [3\n")
    with pytest.raises(InputError, match=r"c.yaml: line \d+: expected valid YAML"):
        load_config(SimulateConfig, cfg)


def test_non_mapping_and_missing_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="expected a YAML mapping of config keys, got 'list'"):
        load_config(SimulateConfig, cfg)
    with pytest.raises(InputError, match="expected a readable YAML file"):
        load_config(SimulateConfig, tmp_path / "missing.yaml")


def test_error_message_format_and_closest() -> None:
    err = InputError("genes.bed", "line 3", "an integer start", "abc")
    assert str(err) == "genes.bed: line 3: expected an integer start, got 'abc'"
    assert str(InputError("x.tsv", "", "a header")) == "x.tsv: expected a header"
    assert closest("resolutin", ["resolution", "seed"]) == "resolution"
    assert closest("zzz", ["resolution", "seed"]) is None
    long = str(InputError("f", "", "short", "y" * 500))
    assert len(long) < 120 and long.endswith("...")


def test_yaml_not_utf8_names_the_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_bytes("n_genes: 40\ntitle: r\xe9sum\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"c.yaml: line 2: expected UTF-8 text, got 'byte 0xe9'"):
        load_config(SimulateConfig, cfg)
