"""Regenerate docs/annotate.png: the labeling page in headless Chromium on two sample items.

    python scripts/annotate_screenshot.py [docs/annotate.png]

Needs chromium + chromium-driver (apt-get) and selenium (the dev extra).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains

from rlhf_rm.annotate.app import create_app
from rlhf_rm.annotate.items import load_items
from rlhf_rm.annotate.queue import build_queues
from rlhf_rm.annotate.session import Session
from rlhf_rm.annotate.store import AnnotationStore
from rlhf_rm.serve import ServerThread, free_port

ITEMS = [
    {"prompt": [{"role": "user", "content": "My tomato plants have yellow leaves at the bottom. What is wrong?"},
                {"role": "assistant", "content": "How often do you water them, and are they in pots or in the ground?"},
                {"role": "user", "content": "In pots, every day. The new leaves look fine."}],
     "candidates": [
         {"text": "Daily watering in pots often drowns the roots. Let the top 2-3 cm of soil dry out before "
                  "watering, make sure the pots drain, and remove the yellow leaves.", "score": 1.9},
         {"text": "Yellow lower leaves on otherwise healthy plants are usually old leaves being shed or a "
                  "nitrogen shortage; a balanced fertilizer every two weeks helps.", "score": 1.4},
         {"text": "Tomatoes are hard to grow. You could buy them at the store instead.", "score": -2.1}]},
    {"prompt": "Write a haiku about autumn.",
     "candidates": ["Red leaves drift and fall\nthe maple lets go of all\nwinds carry them home", "Autumn is a season."]},
]


def main(output: str = "docs/annotate.png") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "reranked.jsonl")
        data.write_text("".join(json.dumps(r) + "\n" for r in ITEMS), encoding="utf-8")
        session = Session(build_queues(load_items(str(data)), ["local"]), AnnotationStore(Path(tmp, "L.jsonl")))
        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,760", "--hide-scrollbars"):
            options.add_argument(arg)
        with ServerThread(create_app(session), free_port()) as server:
            driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
            try:
                driver.get(server.url + "/")
                time.sleep(1.0)
                ActionChains(driver).send_keys("1").perform()  # a ranking under way: #1 picked
                driver.find_elements("css selector", '[data-reply-index="0"] .rating button')[3].click()
                time.sleep(0.3)
                driver.save_screenshot(output)
            finally:
                driver.quit()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(*sys.argv[1:])
