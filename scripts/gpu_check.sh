#!/usr/bin/env bash
# GPU check (needs one CUDA GPU, no network): bf16 and 4-bit reward-model training steps and
# PPO updates on a 0.5B-class decoder built from config. Prints gpu_check/* timings.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
HF_HUB_OFFLINE=1 "$PY" scripts/gpu_check.py
