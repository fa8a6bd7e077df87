"""The model card's limits section says what the contract records about training."""

from types import SimpleNamespace

from rlhf_rm.model.card import limits_section


def _contract(**kw):
    base = dict(train_config={}, metrics={}, max_length=384, max_response_tokens=128,
                length_debias="none", length_beta=None)
    return SimpleNamespace(**{**base, **kw})


def test_plain_recipe_warns_about_length_and_word_order():
    text = limits_section(_contract(metrics={"rm/eval_length_bias_reward_length_corr": 0.31,
                                             "rm/eval_length_bias_acc_chosen_shorter": 0.45}))
    assert text.startswith("## What it can and cannot judge")
    assert "at most 384 tokens" in text and "first 128+ tokens" in text
    assert "correlates with reply length at 0.31" in text and "right on 0.45 of the pairs" in text
    assert "No length debiasing" in text and "Not trained on synthetic broken replies" in text


def test_debiased_augmented_recipe_says_so():
    text = limits_section(_contract(length_debias="lc_bt", length_beta=0.25,
                                    train_config={"augment_negatives": 0.1}))
    assert "length-controlled Bradley-Terry term (beta 0.25)" in text and "No length debiasing" not in text
    assert "on 10% of its pairs" in text and "Not trained on synthetic" not in text
    assert "correlates with reply length" not in text  # no dev metrics recorded: no figure invented


def test_length_correlation_penalty_counts_as_debiasing():
    text = limits_section(_contract(train_config={"length_corr_coef": 0.5}))
    assert "penalty of 0.5 x |corr(reward, log reply length)|" in text and "No length debiasing" not in text
