"""`rlhf-rm annotate`: a labeling page for human preferences and its append-only store.

    items.py    items (a prompt and 2..9 replies) from any data file, and each annotator's shown order
    queue.py    per-annotator queues with an overlap of K, in file, random or most-uncertain order
    store.py    the append-only, fsync'd JSONL of judgements (idempotent, undo by retraction)
    session.py  what the page asks for: the next item, a judgement, an undo
    app.py      the FastAPI app serving the page (static/) and the session
    stats.py    agreement (raw, Cohen's kappa, Krippendorff's alpha), position bias, ties, time
    interop.py  Label Studio tasks for its pairwise preference template

The output is read by `rlhf-rm train train_data=LABELS.jsonl` as it is (`rlhf_rm.data.annotations`).
"""
