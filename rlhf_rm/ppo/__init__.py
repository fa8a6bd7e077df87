"""PPO: steer a causal LM with any reward callable.

``algo`` pure math, ``rollout`` sampling and scoring, ``models`` policy/critic/reference,
``loop`` the training loop (``run_ppo``, ``run_ppo_from_config``). Importing this package is
cheap; torch and transformers load with the submodules that need them.
"""
