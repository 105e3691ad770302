"""A teacher and a student in two browsers: the teacher creates a class, the student (without
JavaScript) joins it with the code, and the class page shows the student and their work."""

import re

from playwright.sync_api import Browser, expect

from tests.browser.helpers import serious_axe_violations


def test_a_teacher_creates_a_class_and_sees_a_student_who_joins_with_the_code(
    browser: Browser, base_url: str
):
    teacher = browser.new_context(base_url=base_url)
    student = browser.new_context(base_url=base_url, java_script_enabled=False)
    t = teacher.new_page()
    s = student.new_page()

    t.goto("/")
    t.get_by_role("contentinfo").get_by_role("link", name=re.compile("run the lesson")).click()
    t.get_by_label("Class name").fill("11B Computing")
    t.get_by_role("button", name="Create the class").click()
    expect(t.get_by_role("heading", level=1)).to_have_text("11B Computing")
    link = t.get_by_role("region", name=re.compile("Keep this link"))
    expect(link.get_by_label("Your teacher link")).to_have_value(
        re.compile(r"^http://127\.0\.0\.1:\d+/classroom/t/[A-Za-z0-9_-]{43}/$")
    )
    panel = t.get_by_role("region", name="Students join here")
    expect(panel.get_by_role("img", name=re.compile("QR code of the join link"))).to_be_visible()
    code = panel.locator(".join-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    expect(t.get_by_text("No students yet")).to_be_visible()

    # The student did step 1 before joining: it counts once they are in the class.
    s.goto("/steps/1/")
    s.get_by_role("button", name=re.compile("Mark as done")).click()
    s.goto("/")
    s.get_by_role("contentinfo").get_by_role("link", name="Join a class").click()
    s.get_by_label("Join code").fill(code.lower())
    s.get_by_label("Nickname").fill("Ana")
    s.get_by_role("button", name="Join the class").click()
    expect(s.get_by_role("status")).to_contain_text("You joined as Ana")

    # The teacher's page fetches its roster again every 5 s: Ana appears without a reload.
    row = t.locator("#roster").get_by_role("row", name=re.compile("^Ana"))
    expect(row).to_be_visible(timeout=15_000)
    expect(row.get_by_role("cell").first).to_have_text("1")  # steps done
    t.reload()
    expect(t.locator("#roster").get_by_role("row", name=re.compile("^Ana"))).to_be_visible()
    expect(t.get_by_role("region", name=re.compile("Keep this link"))).to_have_count(0)
    assert serious_axe_violations(t) == []  # axe needs JavaScript: the teacher's browser has it
    t.goto("/join/")
    assert serious_axe_violations(t) == []
    teacher.close()
    student.close()
