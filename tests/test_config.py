
import pytest

from rlhf_rm.config import ConfigError, load_config, parse_overrides
from rlhf_rm.train import TrainConfig
from support import REPO

RECIPES = REPO / "recipes"


def test_overrides_parse_types_and_nesting():
    assert parse_overrides(["a=1", "b.c=x", "d=[1, 2]", "e=true"]) == {"a": 1, "b": {"c": "x"}, "d": [1, 2], "e": True}


def test_yaml_plus_overrides(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("model: minilm\nlearning_rate: 1e-4\nlora:\n  r: 4\n")
    cfg = load_config(TrainConfig, f, ["lora.alpha=8", "max_steps=3", "learning_rate=2"])
    assert cfg.lora.r == 4 and cfg.lora.alpha == 8 and cfg.max_steps == 3
    assert cfg.learning_rate == 2.0 and isinstance(cfg.learning_rate, float)


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match="unknown config key 'lerning_rate'"):
        load_config(TrainConfig, None, ["lerning_rate=1"])
    with pytest.raises(ConfigError, match="lora.rank"):
        load_config(TrainConfig, None, ["lora.rank=1"])


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match="'max_steps'"):
        load_config(TrainConfig, None, ["max_steps=abc"])
    with pytest.raises(ConfigError, match="'on_bad_row'"):
        load_config(TrainConfig, None, ["on_bad_row=maybe"])


def test_every_rm_recipe_loads_and_starts_with_its_command():
    recipes = sorted(RECIPES.glob("rm_*.yaml"))
    assert recipes, "no reward-model recipes found"
    for path in recipes:
        first = path.read_text().splitlines()[0]
        assert first.startswith("#") and "rlhf-rm train" in first, path
        load_config(TrainConfig, path)


def test_yaml_booleans_read_as_the_choice_they_spell(tmp_path):
    # YAML 1.1 reads `no` as false: `mixed_precision=no` must still mean "no"
    assert load_config(TrainConfig, None, ["mixed_precision=no"]).mixed_precision == "no"
    f = tmp_path / "c.yaml"
    f.write_text("mixed_precision: no\n")
    assert load_config(TrainConfig, f, []).mixed_precision == "no"
    with pytest.raises(ConfigError, match="'mixed_precision': expected one of 'no', 'bf16', 'fp16', got True"):
        load_config(TrainConfig, None, ["mixed_precision=yes"])
