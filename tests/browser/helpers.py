"""Small helpers for keyboard-only browser journeys and accessibility checks."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

_axe = Axe()


def tab_to(page: Page, target: Locator, max_presses: int = 80) -> None:
    """Press Tab until ``target`` has keyboard focus, as a keyboard-only learner would."""
    # The locator is resolved again after each press: a live update may have replaced the
    # element (same id, new node) while the keys were pressed.
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => document.activeElement === el"):
            return
    raise AssertionError(f"could not reach {target} with the Tab key")


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core violations of impact serious or critical, as readable lines."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
