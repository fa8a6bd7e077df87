"""``--ray`` for ``rlhf-rm score | rerank | serve``: the same commands on a Ray cluster (or a local
Ray), through ``rlhf_rm.scale``. ``rlhf_rm.cli.reward`` parses; this module runs."""

from __future__ import annotations

import argparse
import time

from rlhf_rm.cli.common import print_skipped


def add_ray_args(p: argparse.ArgumentParser, workers: str) -> None:
    """``--ray``, ``--ray-address`` and the workers' resources; ``workers`` is "actor" or "replica"."""
    p.add_argument("--ray", action="store_true", help="run on Ray (pip install 'rlhf_rm[ray]')")
    p.add_argument("--ray-address", default=None,
                   help="--ray: join this cluster ('auto': the one `ray start` joined here); default: start a local Ray")
    p.add_argument(f"--num-cpus-per-{workers}", type=float, default=1.0,
                   help=f"--ray: CPUs each {workers} reserves (torch uses as many threads)")
    p.add_argument(f"--num-gpus-per-{workers}", type=float, default=0.0,
                   help=f"--ray: GPUs each {workers} reserves (a fraction shares one)")
    if workers == "actor":
        p.add_argument("--num-actors", type=int, default=2, help="--ray: scoring actors, each loads the model once")
        p.add_argument("--rows-per-batch", type=int, default=512, help="--ray: rows an actor scores per call")
    else:
        p.add_argument("--replicas", type=int, default=None, help="--ray: a fixed number of replicas (default 1)")
        p.add_argument("--min-replicas", type=int, default=None, help="--ray: autoscale from this many replicas ...")
        p.add_argument("--max-replicas", type=int, default=None, help="--ray: ... up to this many, by load")


def _pool(args: argparse.Namespace):
    from rlhf_rm.scale.ray_data import ActorPool

    return ActorPool(args.num_actors, args.num_cpus_per_actor, args.num_gpus_per_actor, args.rows_per_batch)


def score_on_ray(args: argparse.Namespace, reward_kwargs: dict) -> int:
    from rlhf_rm.scale import ray_session

    with ray_session(args.ray_address):
        from rlhf_rm.scale.ray_data import score_files

        s = score_files(args.input, args.output, reward_kwargs, _pool(args), args.on_bad_row, args.output_format)
    print_skipped(s.bad_rows)
    print(f"scored {s.rows} replies from {args.input} with {args.num_actors} Ray actors; wrote shards to {args.output}/")
    # as the one-process command: replies per second of scoring; seconds of the whole run
    print(f"rm/mean_reward={s.mean_reward:.4f} replies_per_second={s.rows / max(s.scoring_seconds, 1e-9):.1f} "
          f"seconds={s.seconds:.1f}")
    return 0


def rerank_on_ray(args: argparse.Namespace, reward_kwargs: dict) -> int:
    if args.candidates is None:
        raise ValueError("rerank --ray reranks --candidates FILE; sampling from --policy runs in one process")
    from rlhf_rm.scale import ray_session

    with ray_session(args.ray_address):
        from rlhf_rm.scale.ray_data import rerank_files

        s = rerank_files(args.candidates, args.output, reward_kwargs, _pool(args), args.sft_output, args.top_k or 1)
    print(f"reranked {s.candidates} candidates for {s.rows} prompts with {args.num_actors} Ray actors; "
          f"wrote shards to {args.output}/")
    print(f"rerank/best_score={s.mean_reward:.4f} rerank/mean_score={s.mean_score:.4f} seconds={s.seconds:.1f}")
    if args.sft_output is not None:
        print(f"wrote the top {args.top_k or 1} replies per prompt as SFT conversations to {args.sft_output}/")
    return 0


def serve_on_ray(args: argparse.Namespace, reward_kwargs: dict, settings) -> int:
    """Deploy, then wait; Ctrl-C (or SIGTERM) removes the application (and stops a Ray started here)."""
    import signal

    from rlhf_rm.scale import ray_session

    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop: the same clean shutdown

    if args.replicas is not None and (args.min_replicas is not None or args.max_replicas is not None):
        raise ValueError("pass either --replicas N, or --min-replicas A --max-replicas B, not both")
    with ray_session(args.ray_address) as local:
        from rlhf_rm.scale.ray_serve import Replicas, deploy, undeploy

        replicas = Replicas(args.replicas or 1, args.min_replicas, args.max_replicas,
                            args.num_cpus_per_replica, args.num_gpus_per_replica)
        try:
            url = deploy(reward_kwargs, settings, replicas)
            count = (f"{args.min_replicas or 1}-{args.max_replicas or args.min_replicas or 1} autoscaled"
                     if args.min_replicas is not None or args.max_replicas is not None else str(replicas.num_replicas))
            print(f"serving on {url} with {count} Ray Serve replicas (POST /get_reward, POST /score, GET /health); "
                  "Ctrl-C stops", flush=True)
            while True:
                time.sleep(3600)
        finally:
            undeploy(stop_serve=local)


def _interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt
