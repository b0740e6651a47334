"""The board in a real headless Chromium (Debian's `chromium` and `chromium-driver`, which `.ci/run`
installs): every task in the column of its status, a change shown within two seconds without a
reload, the graph drawn, filters, hostile titles shown as text and never run, the token rule,
and the static export opened from disk."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Orch
from tests.unit.board_server import XSS_PLAN, running

webdriver = pytest.importorskip("selenium.webdriver",
                                reason="selenium is not installed (pip install -e '.[dev]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no Chromium: `apt-get install -y chromium chromium-driver` (as .ci/run does) to run these")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    home = tmp_path_factory.mktemp("chromium-home")
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={home / 'profile'}"):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    service = Service(DRIVER, env={**os.environ, "HOME": str(home)})
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, url: str) -> None:
    browser.delete_all_cookies()
    browser.get(url)
    _wait(browser, lambda: browser.execute_script("return document.body.dataset.stamp || ''"))


def _wait(browser: Any, condition: Any, timeout: float = 5.0) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _driver: condition())


def _columns(browser: Any) -> dict[str, str]:
    """{task id: the status of the column its card is in}."""
    script = """return Array.from(document.querySelectorAll('#kanban .card')).map(
        c => [c.dataset.taskId, c.closest('.column').dataset.status]);"""
    return dict(browser.execute_script(script))


def _xss_repo(repo: Path, orch: Orch) -> Path:
    (repo / "xss.md").write_text(XSS_PLAN)
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "xss.md")[0] == 0
    return repo


def test_every_task_is_in_the_column_of_its_status(browser: Any, planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--brief")[0] == 0
    assert orch("move", "A", "review")[0] == 0
    assert orch("cancel", "D")[0] == 0
    statuses = {t["id"]: t["status"] for t in json.loads(orch("status", "--json")[1])["tasks"]}
    with running(planned) as board:
        _open(browser, board.url)
        assert statuses == {"A": "review", "B": "queued", "C": "queued", "D": "cancelled"}
        assert _columns(browser) == statuses
        headings = browser.execute_script(
            "return Array.from(document.querySelectorAll('.column')).map(c => c.dataset.status)")
        assert headings == ["queued", "in_progress", "review", "testing", "completed", "blocked", "cancelled"]


def test_a_start_shows_on_an_open_page_within_two_seconds(browser: Any, planned: Path, orch: Orch) -> None:
    with running(planned) as board:
        _open(browser, board.url)
        _wait(browser, lambda: "live" == browser.find_element("id", "live").text)
        browser.execute_script("window.notReloaded = true")
        assert _columns(browser)["A"] == "queued"
        assert orch("start", "A", "--brief")[0] == 0
        began = time.monotonic()
        card = '#kanban .card[data-task-id="A"]'
        _wait(browser, lambda: browser.execute_script(
            f"const c = document.querySelector('{card}'); return c && c.closest('.column').dataset.status"
            " === 'in_progress' && c.querySelector('.holder') !== null"), timeout=2.0)
        assert time.monotonic() - began < 2.0
        holder = browser.find_element("css selector", f"{card} .holder").text
        assert holder.startswith("user:")
        assert browser.execute_script("return window.notReloaded") is True


def test_the_graph_renders_every_node_and_edge(browser: Any, planned: Path) -> None:
    with running(planned) as board:
        _open(browser, board.url)
        nodes = browser.execute_script(
            "return Array.from(document.querySelectorAll('#graph svg g.node')).map(g => g.dataset.taskId)")
        assert sorted(nodes) == ["A", "B", "C", "D"]
        assert len(browser.find_elements("css selector", "#graph svg path.edge")) == 4
        assert len(browser.find_elements("css selector", "#graph svg path.edge.critical")) == 2
        assert browser.find_element("css selector", "#graph svg").size["width"] > 400


def test_filters_narrow_the_board_and_the_graph(browser: Any, repo: Path, orch: Orch) -> None:
    from selenium.webdriver.support.ui import Select

    _xss_repo(repo, orch)
    with running(repo) as board:
        _open(browser, board.url)
        assert sorted(_columns(browser)) == ["T1", "T2", "T3"]
        Select(browser.find_element("id", "f-specialist")).select_by_value("tester")
        assert list(_columns(browser)) == ["T3"]
        assert len(browser.find_elements("css selector", "#graph svg g.node")) == 1
        Select(browser.find_element("id", "f-specialist")).select_by_value("")
        Select(browser.find_element("id", "f-category")).select_by_value("ui")
        assert list(_columns(browser)) == ["T2"]
        Select(browser.find_element("id", "f-category")).select_by_value("")
        Select(browser.find_element("id", "f-milestone")).select_by_value("m1")
        assert list(_columns(browser)) == ["T1"]
        assert browser.current_url.endswith("/#milestone=m1")
        _open(browser, board.url.rstrip("/") + "/#specialist=tester")  # a bookmarked filter
        _wait(browser, lambda: list(_columns(browser)) == ["T3"], timeout=2.0)
        assert Select(browser.find_element("id", "f-specialist")).first_selected_option.text == "tester"


def test_hostile_titles_show_as_text_and_never_run(browser: Any, repo: Path, orch: Orch) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    _xss_repo(repo, orch)
    with running(repo) as board:
        _open(browser, board.url)
        time.sleep(0.3)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - reading it is the check
        titles = [e.text for e in browser.find_elements("css selector", "#kanban .card .title")]
        assert titles == ["<img src=x onerror=alert(1)>", '"]) click a href "javascript:alert(2)"',
                          "<script>alert(3)</script>"]
        assert browser.find_elements("css selector", "main img, main script, #graph a") == []
        labels = browser.execute_script(
            "return Array.from(document.querySelectorAll('#graph svg title')).map(t => t.textContent)")
        assert labels[1] == 'T2: "]) click a href "javascript:alert(2)" (queued)'
        milestone = browser.find_element("css selector", "#milestones tr[data-milestone='m1']").text
        assert "<b>bold</b> milestone" in milestone


def test_with_a_token_the_page_needs_it(browser: Any, planned: Path) -> None:
    token = "a-token-for-the-browser-test"
    with running(planned, token=token) as board:
        _open(browser, board.url)  # the URL `orch board` prints holds the token: everything loads
        assert sorted(_columns(browser)) == ["A", "B", "C", "D"]
        _wait(browser, lambda: "live" == browser.find_element("id", "live").text)
        browser.delete_all_cookies()
        browser.get(board.url.split("?")[0])
        assert "needs its token" in browser.find_element("tag name", "body").text
        assert browser.find_elements("id", "kanban") == []


def test_the_export_opens_from_disk(browser: Any, planned: Path, orch: Orch, tmp_path: Path) -> None:
    assert orch("board", "--export", str(tmp_path / "board"))[0] == 0
    _open(browser, (tmp_path / "board" / "index.html").as_uri())
    assert sorted(_columns(browser)) == ["A", "B", "C", "D"]
    assert browser.find_element("id", "live").text.startswith("exported ")
    assert len(browser.find_elements("css selector", "#graph svg g.node")) == 4


def test_actions_only_with_allow_actions(browser: Any, planned: Path, orch: Orch) -> None:
    with running(planned) as board:
        _open(browser, board.url)
        assert browser.find_elements("css selector", ".card button") == []
    with running(planned, allow_actions=True) as board:
        _open(browser, board.url)
        browser.find_element("css selector", '.card[data-task-id="A"] button[data-verb="start"]').click()
        _wait(browser, lambda: _columns(browser)["A"] == "in_progress", timeout=3.0)
    status = {t["id"]: t for t in json.loads(orch("status", "--json")[1])["tasks"]}
    assert status["A"]["status"] == "in_progress" and status["A"]["bound_to"].startswith("user:")


def test_a_long_column_draws_its_first_cards_and_says_how_many_more(browser: Any, repo: Path,
                                                                     orch: Orch) -> None:
    tasks = "\n".join(f"## T{n}: Task {n}\n- specialist: {'tester' if n % 2 else 'implementer'}\n"
                      for n in range(203))
    (repo / "big.md").write_text(f"---\nid: big\ntitle: Big\n---\n{tasks}")
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "big.md")[0] == 0
    with running(repo) as board:
        _open(browser, board.url)
        assert len(_columns(browser)) == 200
        more = browser.find_element("css selector", '.column[data-status="queued"] .more').text
        assert more == "3 more: filter to narrow the column"
        from selenium.webdriver.support.ui import Select

        Select(browser.find_element("id", "f-specialist")).select_by_value("tester")
        assert len(_columns(browser)) == 101
        assert browser.find_elements("css selector", ".more") == []
