"""Pure metric and benchmark formulas against values worked out by hand."""

import itertools
import math

import numpy as np
import pytest

from rlhf_rm.evaluate import benchmarks, metrics


def test_pairwise_accuracy_counts_ties_wrong():
    # 2 > 1 right, 1 = 1 tie (wrong), 3 < 4 wrong
    assert metrics.pairwise_accuracy([2, 1, 3], [1, 1, 4]) == pytest.approx(1 / 3)


def test_bootstrap_ci_contains_the_estimate_and_is_deterministic_by_seed():
    correct = np.array([1] * 28 + [0] * 12, float)  # accuracy 0.7
    lo, hi = metrics.bootstrap_ci(correct, seed=3)
    assert lo < 0.7 < hi
    assert 0.5 < lo and hi < 0.9  # binomial s.e. ~0.072: the 95% interval is about +-0.14
    assert metrics.bootstrap_ci(correct, seed=3) == (lo, hi)
    assert metrics.bootstrap_ci(correct, seed=4) != (lo, hi)


def test_cluster_bootstrap_resamples_whole_lists():
    # 3 lists: 3/3, 1/3 and 0/1 pairs right -> 4/7 overall; every resample is a ratio of sums
    lo, hi = metrics.bootstrap_ci([3, 1, 0], [3, 3, 1], n_resamples=500, seed=0)
    assert lo <= 4 / 7 <= hi
    assert 0 <= lo and hi <= 1


def test_subset_accuracy():
    out = metrics.subset_accuracy([1, 0, 1, 1], ["b", "a", "a", None])
    assert out == {"a": {"accuracy": 0.5, "pairs": 2}, "b": {"accuracy": 1.0, "pairs": 1}}


def test_rank_correlations_against_hand_values():
    assert metrics.rankdata([10, 20, 20, 5]).tolist() == [2, 3.5, 3.5, 1]
    # Spearman: d = [-1, 1, -1, 1, 0], sum d^2 = 4 -> 1 - 6 * 4 / (5 * 24) = 0.8
    assert metrics.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    # Pearson: deviations (-1, 0, 1) and (-1, 1, 0): cov 1, variances 2 and 2 -> 0.5
    assert metrics.pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert math.isnan(metrics.pearson([1, 1, 1], [1, 2, 3]))


def test_kendall_tau_b_hand_values():
    human = [3, 2, 1, 0]  # best first
    # rewards [3, 1, 2, 0]: 5 concordant pairs, 1 discordant -> (5 - 1) / 6
    assert metrics.kendall_tau([3, 1, 2, 0], human) == pytest.approx(4 / 6)
    # rewards [2, 2, 1]: one tie in rewards -> (2 - 0) / sqrt(3 * 2)
    assert metrics.kendall_tau([2, 2, 1], [2, 1, 0]) == pytest.approx(2 / math.sqrt(6))


def test_ranked_list_metrics_all_ordered_pairs():
    out = metrics.ranked_list_metrics([[3, 1, 2, 0], [2, 2, 1]])
    assert out["pairs"] == 6 + 3
    assert out["accuracy"] == pytest.approx((5 + 2) / 9)  # the tie in list 2 counts wrong
    assert out["kendall_tau"] == pytest.approx((4 / 6 + 2 / math.sqrt(6)) / 2)
    assert out["lists"] == 2


def test_ece_and_reliability_table_hand_values():
    p = np.array([0.72, 0.72, 0.28, 0.92])  # sigmoid(margin) for each pair
    out = metrics.calibration(np.log(p / (1 - p)), n_bins=10)
    # confidences 0.72, 0.72, 0.72 (the 0.28 pair: ranked wrong) and 0.92.
    # bin [0.70, 0.75): 3 pairs, accuracy 2/3, confidence 0.72 -> |2/3 - 0.72| = 0.05333
    # bin [0.90, 0.95): 1 pair, accuracy 1, confidence 0.92 -> 0.08
    # ECE = 3/4 * 0.05333 + 1/4 * 0.08 = 0.04 + 0.02
    assert out["ece"] == pytest.approx(0.06)
    filled = [b for b in out["bins"] if b["count"]]
    assert [(round(b["lo"], 2), b["count"]) for b in filled] == [(0.70, 3), (0.90, 1)]
    assert filled[0]["accuracy"] == pytest.approx(2 / 3)
    assert filled[0]["confidence"] == pytest.approx(0.72)
    assert len(out["bins"]) == 10


def test_length_bias_hand_values():
    out = metrics.length_bias(
        margins=[1, -1, 1, 2],
        len_better=[5, 10, 3, 4],
        len_worse=[8, 4, 3, 1],  # pair 0: chosen shorter; pairs 1, 3: longer; pair 2: equal
        rewards=[1, 2, 3],
        lengths=[10, 20, 30],
    )
    assert out["acc_chosen_shorter"] == 1.0 and out["pairs_chosen_shorter"] == 1
    assert out["acc_chosen_longer"] == 0.5 and out["pairs_chosen_longer"] == 2
    assert out["reward_length_corr"] == pytest.approx(1.0)


def test_hardest_misranked_orders_by_margin():
    assert metrics.hardest_misranked([1, -2, 0, -0.5, 3], k=2) == [1, 3]
    assert metrics.hardest_misranked([1, -2, 0, -0.5, 3], k=5) == [1, 3, 2]  # a tie is wrong too


# ---------------------------------------------------------------- benchmark formulas


def test_rewardbench_sections_weight_subsets_by_example_count():
    acc = {"alpacaeval-easy": 1.0, "mt-bench-easy": 0.0, "math-prm": 1.0, "hep-python": 0.0, "my-own-set": 1.0}
    out = benchmarks.rewardbench_scores(acc)
    assert out["sections"]["Chat"] == pytest.approx(100 / 128)  # counts 100 and 28, not a plain 0.5
    assert out["sections"]["Reasoning"] == pytest.approx(984 / 1148)  # math-prm upweighted to 984
    assert out["prior_sets"] is None
    # no prior sets: the score is the plain mean of the sections present
    assert out["score"] == pytest.approx((100 / 128 + 984 / 1148) / 2)
    assert out["missing_sections"] == ["Chat Hard", "Safety"]
    assert out["ignored_subsets"] == ["my-own-set"]


def test_rewardbench_prior_sets_count_half():
    sections = {"alpacaeval-easy": 0.8, "mt-bench-hard": 0.6, "donotanswer": 0.4, "hep-go": 0.2}
    out = benchmarks.rewardbench_scores({**sections, "shp": 1.0, "summarize": 0.5})
    assert out["prior_sets"] == pytest.approx(0.75)
    assert out["score"] == pytest.approx((2 * (0.8 + 0.6 + 0.4 + 0.2) + 0.75) / 9)


def test_rewardbench_maps_and_counts_match_the_published_constants():
    assert sum(len(v) for v in benchmarks.REWARDBENCH_SECTIONS.values()) == 23
    assert set(benchmarks.REWARDBENCH_EXAMPLE_COUNTS) == {s for v in benchmarks.REWARDBENCH_SECTIONS.values() for s in v}
    hep = sum(benchmarks.REWARDBENCH_EXAMPLE_COUNTS[f"hep-{x}"] for x in ("cpp", "go", "java", "js", "python", "rust"))
    assert benchmarks.REWARDBENCH_EXAMPLE_COUNTS["math-prm"] == hep  # math and code weigh the same


def test_best_of_n_credit_splits_ties_at_the_top():
    assert benchmarks.best_of_n_credit([2, 1, 0, -1]) == 1.0
    assert benchmarks.best_of_n_credit([1, 1, 0, -1]) == 0.5
    assert benchmarks.best_of_n_credit([1, 2, 0, 0]) == 0.0
    assert benchmarks.best_of_n_credit([1, 1, 1, 1]) == 0.25  # a constant reward earns chance


def test_ties_score_when_correct_answers_score_exactly_alike():
    # tied:0 correct [2, 2] -> spread 0, gap 2 - 0 = 2; ref:0 gap 1 -> min gap 1;
    # 1 / 0 -> inf, tanh(inf) = 1: the margin term is at its best
    out = benchmarks.ties_score([("ref:0", 1, [1, 0]), ("tied:0", 2, [2, 2, 0])])
    assert out["correctness_preferred"] == 1.0 and out["correctness_preferred_hard"] == 1.0
    assert out["margin_score"] == 1.0
    assert out["score"] == pytest.approx(0.3 + 0.3 + 0.2 + 0.2 + 0.01)


def test_ties_score_rejects_unknown_ids():
    with pytest.raises(ValueError, match="ref:N"):
        benchmarks.ties_score([("7", 1, [1, 0])])


def test_best_of_n_expectation_matches_enumerating_every_subset():
    from rlhf_rm.evaluate.bon import best_of_n_expectation

    proxy = np.array([0.3, 1.0, 1.0, -2.0, 0.5, 2.0])  # a tie at 1.0
    gold = np.array([1.0, 2.0, -1.0, 0.0, 4.0, -3.0])
    for n in range(1, 7):
        values = []
        for subset in itertools.combinations(range(6), n):
            top = max(proxy[i] for i in subset)
            values.append(np.mean([gold[i] for i in subset if proxy[i] == top]))  # uniform pick among ties
        assert best_of_n_expectation(proxy, gold, n) == pytest.approx(np.mean(values)), n
