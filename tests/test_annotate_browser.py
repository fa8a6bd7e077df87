"""The labeling page in a real headless Chromium (selenium): keys, undo, training on the output,
SIGKILL and resume, markup shown as text. Without a browser these tests skip with one line;
with CI=true a missing browser fails them (CI installs chromium + chromium-driver)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support import LEARNABLE, REPO, write_pairs
from rlhf_rm.annotate.app import create_app
from rlhf_rm.annotate.items import load_items
from rlhf_rm.annotate.queue import build_queues
from rlhf_rm.annotate.session import Session
from rlhf_rm.annotate.store import AnnotationStore
from rlhf_rm.data import load_examples
from rlhf_rm.serve import ServerThread, free_port

WAIT_S = 15


def _find_browser() -> tuple[str, str] | None:
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser():
    found = _find_browser()
    reason = "no headless browser: install chromium and chromium-driver (apt-get) and selenium"
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        found = None
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    yield driver
    driver.quit()


def _serve(data: Path, output: Path):
    session = Session(build_queues(load_items(str(data)), ["local"]), AnnotationStore(output))
    port = free_port()
    return ServerThread(create_app(session), port), session


def _wait(driver, predicate, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_S, poll_frequency=0.05).until(lambda d: predicate(d), message=what)


def _state(driver) -> tuple[str, str | None]:
    body = driver.find_element("tag name", "body").get_attribute("data-state")
    return body, driver.find_element("id", "item").get_attribute("data-position")


def _press(driver, key: str, expect_position: int | None) -> None:
    """Press a key on the page and wait until the server's answer is shown."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()
    if expect_position is None:
        _wait(driver, lambda d: _state(d)[0] == "done", "the queue to finish")
    else:
        _wait(driver, lambda d: _state(d) == ("ready", str(expect_position)), f"item {expect_position} after {key!r}")


def _shown_replies(driver) -> list[str]:
    cards = driver.find_elements("css selector", "[data-reply-index]")
    return [c.find_element("class name", "text").text for c in sorted(cards, key=lambda c: int(c.get_attribute("data-reply-index")))]


def test_label_with_keys_then_train_on_exactly_the_standing_pairs(browser, tmp_path, tiny_encoder_dir):
    from rlhf_rm.config import load_config
    from rlhf_rm.train import TrainConfig, train

    data, labels = write_pairs(tmp_path / "pairs.jsonl"), tmp_path / "L.jsonl"
    server, _ = _serve(data, labels)
    expected = []  # (prompt, chosen, rejected) of the judgements that must be trained on
    with server:
        browser.get(server.url + "/")
        _wait(browser, lambda d: _state(d) == ("ready", "0"), "the first item")
        keys = ["1", "2", "t", "s", "1", "2", "u", "1", "2", "1"]  # the "2" on item 5 is undone
        position = 0
        for key in keys:
            shown = _shown_replies(browser)
            if key == "u":
                expected.pop()
                position -= 1
            else:
                if key in "12":
                    best = int(key) - 1
                    expected.append((LEARNABLE[position][0], shown[best], shown[1 - best]))
                position += 1
            _press(browser, key, position if position < len(LEARNABLE) else None)
        assert browser.find_element("id", "progress").text.startswith("8 / 8")
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert sum("retracts" in r for r in rows) == 1 and sum(r.get("tie", False) for r in rows) == 1
    assert all(r["seconds_spent"] >= 0 and r["annotator"] == "local" for r in rows if "retracts" not in r)

    loaded = load_examples(str(labels))
    assert [(e.prompt[-1]["content"], *e.responses) for e in loaded.examples] == expected
    assert len(expected) == 6 and loaded.left_out == {"ties": 1, "skips": 1, "retracted": 1}
    overrides = [f"model={tiny_encoder_dir}", f"train_data={labels}", f"output_dir={tmp_path / 'rm'}",
                 "max_steps=2", "batch_size=2"]
    result = train(load_config(TrainConfig, REPO / "recipes" / "rm_tiny.yaml", overrides))
    assert (result.train_examples + result.eval_examples, result.skipped_rows) == (6, 0)


def test_sigkill_loses_no_acknowledged_judgement_and_the_page_resumes(browser, tmp_path):
    data, labels = write_pairs(tmp_path / "pairs.jsonl"), tmp_path / "L.jsonl"
    port = free_port()
    command = [sys.executable, "-m", "rlhf_rm.cli", "annotate", "--data", str(data), "--output", str(labels),
               "--port", str(port)]

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                return proc
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"annotate did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)

    proc = start()
    acknowledged = 3
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        _wait(browser, lambda d: _state(d) == ("ready", "0"), "the first item")
        for position in range(1, acknowledged + 1):
            _press(browser, "1", position)  # shown = the server's answer arrived = on disk
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    ids = [json.loads(line)["judgement_id"] for line in labels.read_text().splitlines()]
    assert len(ids) == acknowledged == len(set(ids))
    proc = start()
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        _wait(browser, lambda d: _state(d) == ("ready", str(acknowledged)), "the item after the last judged")
        assert browser.find_element("css selector", ".turn.user .content").text == LEARNABLE[acknowledged][0]
        assert browser.find_element("id", "progress").get_attribute("data-mine") == str(acknowledged)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


XSS = ["<script>window.__xss = 1</script>", '<img src=x onerror="window.__xss = 2">',
       "<b onmouseover=alert(1)>bold</b>"]


def test_markup_in_the_data_is_shown_as_text_and_never_runs(browser, tmp_path):
    rows = [{"prompt": "<i>Which?</i><script>window.__xss = 3</script>", "chosen": XSS[0], "rejected": XSS[1]},
            {"prompt": "Next", "chosen": XSS[2], "rejected": "plain"}]
    data = tmp_path / "xss.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    server, _ = _serve(data, tmp_path / "L.jsonl")
    with server:
        browser.get(server.url + "/")
        _wait(browser, lambda d: _state(d) == ("ready", "0"), "the first item")
        time.sleep(0.2)  # give an injected onerror handler the time to fire, were there one
        assert sorted(_shown_replies(browser)) == sorted(XSS[:2])
        assert browser.find_element("css selector", ".turn .content").text == rows[0]["prompt"]
        assert browser.find_elements("css selector", "#replies img, #replies script, #prompt script, #replies b") == []
        assert browser.execute_script("return window.__xss") is None
        _press(browser, "1", 1)
        assert XSS[2] in _shown_replies(browser)
        assert browser.execute_script("return window.__xss") is None
