"""Export items as Label Studio tasks for its pairwise human-preference (RLHF) template.

Each task's ``data`` holds ``prompt`` (the conversation as text), ``answer1`` and ``answer2``
(in a random order, recorded as ``answer1_index``/``answer2_index``), ``messages`` (the prompt as
chat messages, so the import reads a multi-turn prompt back exactly) and ``item_id``. An item with
K > 2 replies becomes K(K-1)/2 tasks, one per pair. The labeling configuration to paste into the
project is written beside the tasks. Label Studio's JSON export of the labeled project is then
read by the data layer as the ``label-studio`` layout (``rlhf-rm train train_data=export.json``).
"""

from __future__ import annotations

import json
import random
from itertools import combinations
from pathlib import Path

from rlhf_rm.annotate.items import Item
from rlhf_rm.data import render_transcript

LABEL_CONFIG = """<View>
  <Header value="Which answer is better?"/>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2" leftChoiceValue="answer1" rightChoiceValue="answer2"/>
  <View style="display: flex; gap: 1em;">
    <View style="flex: 1;"><Text name="answer1" value="$answer1"/></View>
    <View style="flex: 1;"><Text name="answer2" value="$answer2"/></View>
  </View>
</View>
"""


def label_studio_tasks(items: list[Item], seed: int = 0) -> list[dict]:
    """One task per pair of replies of each item, the two answers in a seeded random order."""
    rng = random.Random(seed)
    tasks = []
    for item in items:
        for i, j in combinations(range(len(item.replies)), 2):
            if rng.random() < 0.5:
                i, j = j, i
            tasks.append({"data": {
                "prompt": render_transcript(item.prompt) if len(item.prompt) > 1 else item.prompt[0]["content"],
                "answer1": item.replies[i], "answer2": item.replies[j],
                "answer1_index": i, "answer2_index": j,
                "messages": item.prompt, "item_id": item.item_id,
            }})
    return tasks


def export_label_studio(items: list[Item], output: str | Path, seed: int = 0) -> tuple[Path, Path]:
    """Write the tasks (a JSON list) and the labeling config (``<output stem>.label_config.xml``)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(label_studio_tasks(items, seed), ensure_ascii=False, indent=1), encoding="utf-8")
    config = output.with_name(f"{output.stem}.label_config.xml")
    config.write_text(LABEL_CONFIG, encoding="utf-8")
    return output, config
