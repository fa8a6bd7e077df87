"""Errors a new user meets: one sentence that says what to do, no traceback, no library noise."""

from __future__ import annotations

import logging

import pytest
from huggingface_hub import constants

from rlhf_rm.cli import main
from rlhf_rm.cli.launch import gpu_launch_problem
from rlhf_rm.model import resolve_model_path
from support import REPO

RECIPES = REPO / "recipes"
HINT = "pass the path of an existing model folder, or a Hugging Face hub id such as 'owner/name'"


@pytest.fixture
def online(monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    return tmp_path / "hf_cache"


# ---- 2. a missing local folder fails at once, naming the path -------------------------------

@pytest.mark.parametrize("spec", ["./rm", "../rm", "/no/such/rm", "~/no_such_rm"])
def test_missing_local_path_is_not_tried_on_the_hub(spec, online, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        resolve_model_path(spec)
    assert str(err.value).startswith(f"no such folder '{spec}'")
    assert "(it is a local path)" in str(err.value) and HINT in str(err.value)


def test_owner_name_lookalike_is_local_when_its_first_folder_exists(online, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    with pytest.raises(FileNotFoundError) as err:
        resolve_model_path("runs/rm_minilm_hh")
    assert str(err.value) == (
        f"no such folder 'runs/rm_minilm_hh' in {tmp_path} (it is a local path, since the folder 'runs/' exists "
        f"here): {HINT} (downloaded when online, or already in the Hugging Face cache with HF_HUB_OFFLINE=1)"
    )


def test_hub_id_is_left_to_the_hub_online_and_to_the_cache_offline(online, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_model_path("owner/name") == "owner/name"  # online: the hub decides
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    with pytest.raises(FileNotFoundError, match="HF_HUB_OFFLINE=1 and the Hugging Face cache has no hub model"):
        resolve_model_path("owner/name")
    (tmp_path / "hf_cache" / "models--owner--name").mkdir(parents=True)
    assert resolve_model_path("owner/name") == "owner/name"  # cached: transformers loads it offline


def test_a_hub_id_that_failed_says_there_is_no_such_folder_either(online, tmp_path, monkeypatch):
    import transformers

    from rlhf_rm.model import load_tokenizer

    def unreachable(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files.")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", unreachable)
    with pytest.raises(RuntimeError) as err:
        load_tokenizer("owner/name")
    assert str(err.value) == (
        f"could not load model 'owner/name': no such folder in {tmp_path}, and as a hub id: We couldn't connect "
        "to 'https://huggingface.co' to load the files. Pass the path of an existing model folder, or a Hugging "
        "Face hub id such as 'owner/name' (with network access, or already in the Hugging Face cache with "
        "HF_HUB_OFFLINE=1)."
    )


def test_existing_paths_resolve_as_given_and_tilde_expands(online, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "runs" / "rm").mkdir(parents=True)
    assert resolve_model_path("runs/rm") == "runs/rm"
    assert resolve_model_path("~/runs/rm") == str(tmp_path / "runs" / "rm")


def test_cli_eval_of_a_missing_folder_is_one_sentence(offline, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--model", "runs/rm_x", "--data", "x.jsonl"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no such folder 'runs/rm_x' in {tmp_path} (HF_HUB_OFFLINE=1 ")
    assert err.count("\n") == 1 and "Traceback" not in err


# ---- 1. the GRPO recipe reports user errors like the CLI -----------------------------------

def test_grpo_recipe_missing_reward_model_is_one_sentence_and_exit_2(grpo_recipe, online, tmp_path, monkeypatch,
                                                                    capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()  # the README's situation: runs/ exists, runs/rm_minilm_hh was never trained
    assert grpo_recipe.main(["--config", str(RECIPES / "grpo_trl.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no such folder 'runs/rm_minilm_hh'") and err.count("\n") == 1


def test_grpo_recipe_unknown_key_is_one_sentence(grpo_recipe, capsys):
    assert grpo_recipe.main(["--config", str(RECIPES / "grpo_trl.yaml"), "no_such_key=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no_such_key" in err and err.count("\n") == 1


# ---- 3. PPO: the tokenizer error names its config key; a failed start leaves no config.json --

def test_ppo_missing_model_names_the_key_and_writes_nothing(online, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["ppo", "--config", str(RECIPES / "ppo_tiny.yaml"), "model=./no_such_policy", f"output_dir={out}"]
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: config key 'model': cannot load a tokenizer from './no_such_policy': "
                          "no such folder './no_such_policy'")
    assert not out.exists()


# ---- 4. library noise on the load path -------------------------------------------------------

class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_bitsandbytes_kernel_notice_is_dropped_and_nothing_else():
    import rlhf_rm  # noqa: F401  (installs the filter)

    log = logging.getLogger("bitsandbytes.backends.cpu.ops")
    records = _Records()
    log.addHandler(records)
    level = log.level
    log.setLevel(logging.WARNING)  # `rlhf-rm` itself quiets bitsandbytes to errors (cli.common.quiet_libraries)
    try:
        log.warning("Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make sure you "
                    "already `pip install kernels` and the kernels >= 0.11.1", "No module named 'kernels'")
        log.warning("Failed to load something else")
    finally:
        log.removeHandler(records)
        log.setLevel(level)
    assert records.messages == ["Failed to load something else"]


def test_saved_lora_loads_without_a_missing_head_report(tiny_encoder_dir, tmp_path):
    import transformers
    from transformers import AutoModelForSequenceClassification

    from rlhf_rm.model import ModelSettings, RewardModel, build_reward_model

    build_reward_model(ModelSettings(name_or_path=str(tiny_encoder_dir), max_length=32)).save(tmp_path / "rm")
    log = logging.getLogger("transformers.modeling_utils")
    records = _Records()
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_warning()
    log.addHandler(records)
    try:
        RewardModel.load(tmp_path / "rm")
        assert not [m for m in records.messages if "LOAD REPORT" in m]
        # the filter is scoped to that load: a plain base model still gets its report
        AutoModelForSequenceClassification.from_pretrained(tiny_encoder_dir, num_labels=1)
        assert [m for m in records.messages if "LOAD REPORT" in m and "classifier.weight" in m]
    finally:
        log.removeHandler(records)
        transformers.logging.set_verbosity(verbosity)


def test_lora_with_a_missing_base_names_the_adapter(online, tiny_encoder_dir, tmp_path):
    import json

    from rlhf_rm.contract import CONTRACT_FILE
    from rlhf_rm.model import ModelSettings, RewardModel, build_reward_model

    build_reward_model(ModelSettings(name_or_path=str(tiny_encoder_dir), max_length=32)).save(tmp_path / "rm")
    contract = json.loads((tmp_path / "rm" / CONTRACT_FILE).read_text())
    contract["base_model"] = str(tmp_path / "moved_base")
    (tmp_path / "rm" / CONTRACT_FILE).write_text(json.dumps(contract))
    with pytest.raises(FileNotFoundError) as err:
        RewardModel.load(tmp_path / "rm")
    assert str(err.value).startswith(f"reward model '{tmp_path / 'rm'}' is a LoRA adapter whose base model is "
                                     f"missing: no such folder '{tmp_path / 'moved_base'}' (it is a local path)")


# ---- 5. an accelerate GPU config started on a machine without GPUs ---------------------------

ACCELERATE_GPU_ENV = {"WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "8", "ACCELERATE_MIXED_PRECISION": "bf16"}
NO_GPU = "this accelerate config launches 8 GPU processes but this machine has no CUDA GPU; " \
         "run without accelerate launch, or use torchrun --nproc_per_node 2 for CPU processes"


@pytest.mark.parametrize("env, devices, expected", [
    (ACCELERATE_GPU_ENV, (0, False), NO_GPU),
    (ACCELERATE_GPU_ENV, (2, False), "this accelerate config launches 8 GPU processes but this machine has "
                                     "2 CUDA GPU(s); pass --num_processes 2 to accelerate launch"),
    (ACCELERATE_GPU_ENV, (8, False), None),
    (ACCELERATE_GPU_ENV, (0, True), None),  # XPU/NPU/...: accelerate places the processes there
    ({**ACCELERATE_GPU_ENV, "ACCELERATE_USE_CPU": "True"}, (0, False), None),  # accelerate launch --cpu
    ({"WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2"}, (0, False), None),  # plain torchrun: CPU processes
    ({"ACCELERATE_MIXED_PRECISION": "bf16"}, (0, False), None),  # one process
])
def test_gpu_launch_problem(env, devices, expected):
    assert gpu_launch_problem(env, lambda: devices) == expected


@pytest.mark.parametrize("rank", ["0", "3"])
def test_train_under_a_gpu_launch_without_gpus_exits_2_and_rank_0_says_why(rank, monkeypatch, capsys):
    from rlhf_rm.cli import launch

    for key, value in {**ACCELERATE_GPU_ENV, "RANK": rank}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ACCELERATE_USE_CPU", raising=False)
    monkeypatch.setattr(launch, "local_devices", lambda: (0, False))
    assert main(["train", "--config", str(RECIPES / "rm_tiny.yaml")]) == 2
    assert main(["ppo", "--config", str(RECIPES / "ppo_tiny.yaml")]) == 2
    assert capsys.readouterr().err == (f"error: {NO_GPU}\n" * 2 if rank == "0" else "")
