"""PPO recipes, config checks, reward resolution and prompt rendering."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from rlhf_rm.config import ConfigError
from rlhf_rm.ppo.settings import PPOConfig, load_ppo_config
from rlhf_rm.ppo.prompt_sets import configured_prompts, split_prompts
from rlhf_rm.ppo.reward_source import RemoteReward, load_reward, story_positivity, word_count, words
from support import REPO


pytestmark = pytest.mark.usefixtures("one_thread")


RECIPES = sorted((REPO / "recipes").glob("ppo_*.yaml"))


def test_there_are_ppo_recipes():
    assert {p.name for p in RECIPES} >= {"ppo_stories.yaml", "ppo_chat_lora.yaml", "ppo_tiny.yaml"}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_every_ppo_recipe_loads(recipe):
    cfg = load_ppo_config(recipe)
    assert isinstance(cfg, PPOConfig) and cfg.model and cfg.reward
    assert recipe.read_text().startswith("#")  # starts with the command that runs it
    # overrides reach top-level and nested keys
    cfg = load_ppo_config(recipe, ["output_dir=/tmp/x", "lora.r=2", "kl_target=null"])
    assert (cfg.output_dir, cfg.lora.r, cfg.kl_target) == ("/tmp/x", 2, None)


def test_unknown_and_mistyped_keys_raise_naming_the_key():
    recipe = REPO / "recipes" / "ppo_stories.yaml"
    with pytest.raises(ConfigError, match="kl_tagret"):
        load_ppo_config(recipe, ["kl_tagret=3"])
    with pytest.raises(ConfigError, match="lora.rank"):
        load_ppo_config(recipe, ["lora.rank=3"])
    with pytest.raises(ConfigError, match="ppo_epochs"):
        load_ppo_config(recipe, ["ppo_epochs=many"])
    with pytest.raises(ConfigError, match="num_minibatches"):
        load_ppo_config(recipe, ["num_minibatches=3"])
    with pytest.raises(ConfigError, match="micro_batch_size"):
        load_ppo_config(recipe, ["micro_batch_size=0"])


def test_merged_sampling_from_a_4bit_base_is_refused_by_name():
    recipe = REPO / "recipes" / "ppo_stories.yaml"
    with pytest.raises(ConfigError, match="'hf_merged' cannot sample from a 4-bit base"):
        load_ppo_config(recipe, ["generation_backend=hf_merged", "lora.load_in_4bit=true"])
    assert load_ppo_config(recipe, ["generation_backend=hf", "lora.load_in_4bit=true"]).lora.load_in_4bit


def test_stories_recipe_meets_the_issue():
    cfg = load_ppo_config(REPO / "recipes" / "ppo_stories.yaml")
    assert cfg.model == "../shared/models/stories260K" and cfg.lora.enabled
    assert len(cfg.prompts) >= 32 and cfg.max_new_tokens == 48
    assert cfg.stop_token_ids == [1, 2]
    assert load_reward(cfg.reward) is story_positivity


def test_story_positivity_by_hand():
    assert words("Lily's dog, Max!  was HAPPY.") == ["lilys", "dog", "max", "was", "happy"]
    got = story_positivity(["p"] * 3, ["They smiled and laughed with friends.", "", "A big dog."])
    assert got == pytest.approx([3 / 6, 0.0, 0.0])
    chat = story_positivity([[{"role": "user", "content": "hi"}]], [[{"role": "assistant", "content": "so happy"}]])
    assert chat == [0.5]
    assert word_count(["p"], ["the cat and the dog"], word="the") == [2.0]


def test_load_reward_module_function_with_kwargs():
    fn = load_reward("rlhf_rm.ppo.reward_source:word_count", {"word": "dog"})
    assert fn(["p"], ["dog dog cat"]) == [2.0]
    with pytest.raises(ValueError, match="no callable"):
        load_reward("rlhf_rm.ppo.reward_source:nope")
    with pytest.raises(ImportError, match="no_such_module"):
        load_reward("no_such_module:f")
    with pytest.raises(ValueError, match="neither"):
        load_reward("not-a-thing")


def test_remote_reward_speaks_the_openrlhf_protocol():
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.update(body)
            out = json.dumps({"rewards": [float(len(q)) for q in body["query"]]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fn = load_reward(f"http://127.0.0.1:{server.server_port}/score")
        assert isinstance(fn, RemoteReward)
        assert fn(["ab", "c"], ["x", "yz"], prompt_texts=["ab", "c"]) == [3.0, 3.0]
        assert seen == {"query": ["abx", "cyz"], "prompts": ["ab", "c"]}
        # a conversation without the policy's rendering: role-tagged turns, the user's words kept
        chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": "Bye?"}]
        fn([chat], [[{"role": "assistant", "content": "Bye!"}]])
        assert seen["prompts"] == ["User: Hi\n\nAssistant: Hello\n\nUser: Bye?\n\nAssistant: "]
        assert seen["query"] == [seen["prompts"][0] + "Bye!"]
    finally:
        server.shutdown()


def test_reward_model_folder_drives_a_ppo_run(tiny_lm, tmp_path):
    """A saved rlhf_rm reward model (a tiny BERT with its own tokenizer) as the PPO reward."""
    from helpers_reward import tiny_rm

    from rlhf_rm.ppo.loop import run_ppo

    folder = tiny_rm()
    fn = load_reward(folder)
    scores = fn(["the cat", "a dog"], ["saw a ball", "ran"])
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)
    cfg = PPOConfig(
        model=tiny_lm,
        reward=folder,
        prompts=["the cat", "a dog went"],
        eval_prompts=["he was"],
        max_new_tokens=6,
        stop_token_ids=[2],
        rollout_batch_size=8,
        total_updates=2,
        ppo_epochs=1,
        output_dir=str(tmp_path / "out"),
        tensorboard=False,
        plot=False,
        progress=False,
        checkpoint_every=0,
        eval_samples_per_prompt=2,
    )
    out = run_ppo(cfg)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(r["ppo/reward_std"] >= 0 for r in rows)


def test_read_and_split_prompts(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("a\n\nb\na\n")
    prompts = configured_prompts(["x", "a"], str(f), None)
    assert prompts == ["x", "a", "b"]
    rows = tmp_path / "p.jsonl"  # prompt rows: strings and conversations alike
    rows.write_text('{"prompt": "b"}\n{"prompt": [{"role": "user", "content": "c"}]}\n')
    assert configured_prompts(None, str(rows), None) == ["b", [{"role": "user", "content": "c"}]]
    with pytest.raises(FileNotFoundError, match="config key 'prompts_file'"):
        configured_prompts(None, str(tmp_path / "missing.txt"), None)
    train, held = split_prompts([str(i) for i in range(20)], None, 0.25, seed=0)
    assert len(held) == 5 and not set(train) & set(held)
    assert split_prompts(["a"], ["z"], 0.5, 0) == (["a"], ["z"])


def test_prompts_from_the_data_layer(tmp_path):
    f = tmp_path / "prefs.jsonl"
    rows = [
        {"chosen": "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: a story?\n\nAssistant: yes", "rejected": "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: a story?\n\nAssistant: no"},
        {"chosen": "\n\nHuman: 2+2?\n\nAssistant: 4", "rejected": "\n\nHuman: 2+2?\n\nAssistant: 5"},
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prompts = configured_prompts(None, None, str(f))
    assert len(prompts) == 2
    assert [m["role"] for m in prompts[0]] == ["user", "assistant", "user"]  # multi-turn kept
