"""Evaluation: metrics, benchmark formulas (RewardBench v1/v2), reports and plots, best-of-n curves.

    from rlhf_rm.evaluate import evaluate, format_table
    report = evaluate({"rm": RewardFunction.from_pretrained("out/rm")}, ["helpful-base.jsonl.gz"],
                      report_dir="report")

`metrics` and `benchmarks` are pure numpy functions; `core` scores data with a reward callable;
`report` renders; `bon` draws the best-of-n over-optimization curve. Plotting and model imports
happen inside the functions that need them.
"""

from rlhf_rm.evaluate.benchmarks import (
    REWARDBENCH_EXAMPLE_COUNTS,
    REWARDBENCH_PRIOR_SETS,
    REWARDBENCH_SECTIONS,
    best_of_n_credit,
    rewardbench2_scores,
    rewardbench_scores,
    ties_score,
)
from rlhf_rm.evaluate.bon import bon_curve, generate_candidates, kl_best_of_n
from rlhf_rm.evaluate.core import EvalData, Scores, dataset_metrics, evaluate, prepare_data, score_data
from rlhf_rm.evaluate.report import format_table, write_report

__all__ = [
    "REWARDBENCH_EXAMPLE_COUNTS", "REWARDBENCH_PRIOR_SETS", "REWARDBENCH_SECTIONS",
    "EvalData", "Scores", "best_of_n_credit", "bon_curve", "dataset_metrics", "evaluate", "format_table",
    "generate_candidates", "kl_best_of_n", "prepare_data", "rewardbench2_scores", "rewardbench_scores",
    "score_data", "ties_score", "write_report",
]
