"""Issue 6: the seminar kit (syllabus, session plans, discussion guides, rubrics, outcomes, self-study)
holds together. Every check is shown to pass on the real data and to fail on a planted bad input."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import seminar_kit as sk

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"


@pytest.fixture(scope="module")
def kit() -> sk.Kit:
    return sk.Kit.load(BOOK, ROOT / "assignments")


def planted(kit: sk.Kit, **changes) -> sk.Kit:
    """A deep copy of the kit with some attributes replaced (the real data stay untouched)."""
    new = copy.deepcopy(kit)
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def week(syllabus: dict, n: int) -> dict:
    return next(w for w in syllabus["weeks"] if w["week"] == n)


# -- the real data -------------------------------------------------------------------------------


def test_the_whole_kit_is_consistent(kit):
    assert sk.problems(kit) == []
    assert sk.ensure_consistent(kit) is kit


def test_ensure_consistent_lists_every_problem(kit):
    bad = planted(kit, syllabus=copy.deepcopy(kit.syllabus))
    week(bad.syllabus, 2)["required_readings"].append("nosuchauthor2099")
    bad.syllabus["assignments"].append(dict(bad.syllabus["assignments"][0]))
    with pytest.raises(sk.SeminarKitError) as err:
        sk.ensure_consistent(bad)
    assert "nosuchauthor2099" in str(err.value) and "appears 2 times" in str(err.value)


# -- syllabus: readings, budget, calendar --------------------------------------------------------


def check_syllabus(kit, syllabus):
    return sk.check_syllabus(syllabus, kit.guides, kit.bib, kit.chapters, kit.lab_ids,
                             sorted(set(kit.questions["assignment"])))


def test_every_weeks_readings_are_in_the_bibliography_and_the_guides(kit):
    for w in kit.syllabus["weeks"]:
        for key in w["required_readings"] + w["optional_readings"]:
            assert key in kit.bib and key in kit.guides, (w["week"], key)
    assert check_syllabus(kit, kit.syllabus) == []


def test_a_week_with_an_unknown_reading_key_fails(kit):
    syllabus = copy.deepcopy(kit.syllabus)
    week(syllabus, 4)["optional_readings"].append("nosuchauthor2099")
    found = check_syllabus(kit, syllabus)
    assert "week 4: reading 'nosuchauthor2099' is not in the bibliography" in found
    assert "week 4: reading 'nosuchauthor2099' has no guided reading" in found


def test_a_reading_in_the_bibliography_but_without_a_guide_fails(kit):
    unguided = sorted(kit.bib - set(kit.guides))[0]
    syllabus = copy.deepcopy(kit.syllabus)
    week(syllabus, 1)["optional_readings"].append(unguided)
    assert check_syllabus(kit, syllabus) == [f"week 1: reading {unguided!r} has no guided reading"]


def test_reading_time_per_week_is_shown_and_within_the_stated_budget(kit):
    budget = kit.syllabus["reading_budget_min"]
    assert budget == 180  # the budget the syllabus page states
    weeks = sk.weeks_frame(kit)
    assert len(weeks) == 12
    assert (weeks["required_min"] <= budget).all()
    # the minutes are the guides' reading times
    w3 = week(kit.syllabus, 3)
    assert weeks.set_index("week").loc[3, "required_min"] == sum(
        kit.guides[k]["reading_time_min"] for k in w3["required_readings"])
    assert "Required reading (180 min)" in sk.week_markdown(kit, 3)
    page = (BOOK / "instructors" / "syllabus.md").read_text("utf-8")
    assert 'weeks["required_min"]' in page and "budget" in page


def test_a_week_over_the_reading_budget_fails(kit):
    syllabus = copy.deepcopy(kit.syllabus)
    week(syllabus, 3)["required_readings"].append("wenger1998communities")
    week(syllabus, 3)["optional_readings"].remove("wenger1998communities")
    assert check_syllabus(kit, syllabus) == [
        "week 3: 300 min of required reading exceeds the budget of 180"]


def test_each_assignment_appears_once_in_the_calendar(kit):
    ids = [a["id"] for a in kit.syllabus["assignments"]]
    assert len(ids) == len(set(ids))
    cal = sk.calendar_frame(kit)
    assert sorted(cal["id"]) == sorted(ids)
    # each is due in exactly one week of the 12-week plan and one meeting of the 6-week plan
    due = [a for ds in sk.weeks_frame(kit)["due"] for a in ds]
    assert sorted(due) == sorted(ids)
    due6 = [a for ds in sk.condensed_frame(kit)["due"] for a in ds]
    assert sorted(due6) == sorted(ids)
    assert cal["due_condensed"].notna().all()


def test_an_assignment_listed_twice_fails(kit):
    syllabus = copy.deepcopy(kit.syllabus)
    syllabus["assignments"].append({**syllabus["assignments"][0], "due": 7})
    assert check_syllabus(kit, syllabus) == ["assignment ps1 appears 2 times in the calendar"]


def test_every_source_notebook_assignment_is_in_the_calendar(kit):
    present = set(kit.questions["assignment"])
    assert present <= {a["id"] for a in kit.syllabus["assignments"]}
    syllabus = copy.deepcopy(kit.syllabus)
    syllabus["assignments"] = [a for a in syllabus["assignments"] if a["id"] != "ps1"]
    assert "assignment ps1 has a source notebook but is not in the calendar" in check_syllabus(kit, syllabus)


def test_an_assignment_due_before_release_or_outside_the_course_fails(kit):
    syllabus = copy.deepcopy(kit.syllabus)
    syllabus["assignments"][0]["released"] = 5
    syllabus["assignments"][1]["due"] = 13
    found = check_syllabus(kit, syllabus)
    assert "assignment ps1: released week 5 must be between 1 and the due week 2" in found
    assert "assignment ps2: due week 13 is not a week of the course" in found


def test_every_chapter_and_lab_is_scheduled(kit):
    syllabus = copy.deepcopy(kit.syllabus)
    w = week(syllabus, 12)
    w["chapters"] = ["chapters/critiques"]
    w["lab"] = None
    week(syllabus, 7)["lab"] = "lab_catch_up"
    week(syllabus, 9)["lab"] = "lab_catch_up"
    found = check_syllabus(kit, syllabus)
    assert "chapter chapters/conclusion is in no week" in found
    assert "lab lab_mutual_learning is in no week" in found


# -- condensed variant ---------------------------------------------------------------------------


def test_condensed_variant_covers_each_week_once_within_budget(kit):
    assert sk.check_condensed(kit.syllabus, kit.guides) == []
    six = sk.condensed_frame(kit)
    assert len(six) == 6
    assert sorted(n for ws in six["weeks"] for n in ws) == list(range(1, 13))
    assert (six["required_min"] <= kit.syllabus["reading_budget_min"]).all()


def test_condensed_variant_with_a_missing_week_or_foreign_reading_fails(kit):
    syllabus = copy.deepcopy(kit.syllabus)
    syllabus["condensed"][5]["weeks"] = [11]
    syllabus["condensed"][0]["required_readings"].append("march1991exploration")
    found = sk.check_condensed(syllabus, kit.guides)
    assert any("cover weeks" in p and "[1, 2, 3" in p for p in found)
    assert "condensed session 1: reading 'march1991exploration' is not a reading of weeks [1, 2]" in found
    assert "condensed session 1: 240 min of required reading exceeds the budget of 180" in found


# -- session plans -------------------------------------------------------------------------------


def headings(kit):
    return {lab: [t for _, t in sk.lab_headings(kit.book, lab)] for lab in kit.lab_ids}


def test_every_week_has_a_90_minute_plan_with_a_demonstration_from_its_lab(kit):
    assert sk.check_session_plans(kit.plans, kit.syllabus, headings(kit)) == []
    for p in kit.plans:
        md = sk.plan_markdown(kit, p["week"])
        assert "Opening question" in md and "Exit question" in md and "Model demonstration" in md
        assert re.search(r"\| 1:20–1:30 \| 10 \| Exit question \|", md), p["week"]


def test_a_plan_whose_timings_do_not_add_up_fails(kit):
    plans = copy.deepcopy(kit.plans)
    plans[0]["activities"][0]["minutes"] += 5
    assert sk.check_session_plans(plans, kit.syllabus, headings(kit)) == [
        "session plan for week 1: timings add up to 95 min, not 90"]


def test_a_demonstration_of_a_missing_lab_section_or_another_lab_fails(kit):
    plans = copy.deepcopy(kit.plans)
    plans[1]["demo"]["section"] = "A section nobody wrote"
    plans[2]["demo"]["lab"] = "lab_governance"
    found = sk.check_session_plans(plans, kit.syllabus, headings(kit))
    assert "session plan for week 2: lab lab_catch_up has no section 'A section nobody wrote'" in found
    assert any(p.startswith("session plan for week 3: demonstration uses 'lab_governance'") for p in found)


def test_a_missing_plan_fails(kit):
    plans = [p for p in kit.plans if p["week"] != 5]
    assert sk.check_session_plans(plans, kit.syllabus, headings(kit))[0].startswith(
        "need exactly one session plan per week")


def test_session_plan_page_shows_each_week_once():
    page = (BOOK / "instructors" / "session_plans.md").read_text("utf-8")
    assert re.findall(r"^show\((\d+)\)$", page, re.M) == [str(n) for n in range(1, 13)]
    assert re.findall(r"^## Week (\d+)$", page, re.M) == [str(n) for n in range(1, 13)]


# -- discussion guides ---------------------------------------------------------------------------


def test_discussion_guides_cover_every_chapter_with_the_required_debates(kit):
    assert sk.check_discussion_guides(kit.discussion, kit.chapters, kit.bib) == []
    debates = {d["id"] for c in kit.discussion["clusters"] for d in c.get("debates") or []}
    assert {"capabilities-vs-value-capture", "apprenticeship-vs-mutual"} <= debates
    md = sk.cluster_markdown(kit, "framing")
    assert "{cite:t}`dedrick2010profits`" in md and "Motion:" in md


def test_discussion_guide_with_a_missing_chapter_or_unknown_source_fails(kit):
    discussion = copy.deepcopy(kit.discussion)
    discussion["clusters"][0]["chapters"].remove("chapters/upgrading")
    discussion["clusters"][3]["debates"][0]["for"]["draw_on"].append("nosuchauthor2099")
    found = sk.check_discussion_guides(discussion, kit.chapters, kit.bib)
    assert "chapter chapters/upgrading is in 0 discussion clusters (need 1)" in found
    assert "cluster mutual: debate apprenticeship-vs-mutual cites unknown key 'nosuchauthor2099'" in found


def test_discussion_guide_page_shows_each_cluster_once_under_its_title(kit):
    page = (BOOK / "instructors" / "discussion_guides.md").read_text("utf-8")
    shown = re.findall(r'^show\("([^"]+)"\)$', page, re.M)
    assert shown == [c["id"] for c in kit.discussion["clusters"]]
    titles = re.findall(r"^## (Part .+)$", page, re.M)
    assert titles == [c["title"] for c in kit.discussion["clusters"]]


# -- rubrics -------------------------------------------------------------------------------------


def test_every_hand_graded_question_has_a_well_formed_rubric(kit):
    assert sk.check_rubrics(kit) == []
    manual = kit.questions[kit.questions["kind"] == "manual"]
    assert len(manual) >= 2
    for r in manual.itertuples():
        rubric, origin = sk.rubric_for(kit, r.assignment, r.grade_id)
        assert origin in {"assignment", "default"} and rubric is not None


def test_a_rubric_whose_levels_do_not_add_up_fails(kit):
    rubric = copy.deepcopy(kit.seminar_rubrics["seminar_paper"])
    rubric["criteria"][0]["levels"][0]["points"] = 9
    assert sk.check_rubric("seminar_paper", rubric) == [
        "seminar_paper: best levels add up to 41 points, but the rubric is worth 40"]
    rubric["criteria"][1]["levels"] = rubric["criteria"][1]["levels"][:1]
    assert any("needs two or more levels" in p for p in sk.check_rubric("seminar_paper", rubric))


def test_a_rubric_for_a_question_that_does_not_exist_fails(kit):
    ps = sorted(kit.assignment_rubrics)[0] if kit.assignment_rubrics else "ps1"
    rubrics = copy.deepcopy(kit.assignment_rubrics)
    rubrics.setdefault(ps, []).append({**copy.deepcopy(kit.seminar_rubrics["written_answer_default"]),
                                       "grade_id": "q9_answer"})
    found = sk.check_rubrics(planted(kit, assignment_rubrics=rubrics))
    assert f"rubric {ps}/q9_answer: no manually graded cell q9_answer in {ps}" in found


def test_a_hand_graded_question_without_any_rubric_fails(kit):
    questions = pd.concat([kit.questions, pd.DataFrame([{
        "assignment": "ps1", "grade_id": "q3_answer", "kind": "manual", "points": 5.0}])],
        ignore_index=True)
    assert "manual question ps1/q3_answer has no rubric" in sk.check_rubrics(planted(kit, questions=questions))


def test_rubric_tables_never_show_the_graders_strong_answer(kit):
    rubric = copy.deepcopy(kit.seminar_rubrics["written_answer_default"])
    rubric["strong_answer"] = "PLANTED-GRADER-NOTE"
    md = sk.rubric_markdown(rubric, heading="x")
    assert "PLANTED-GRADER-NOTE" not in md and "Accuracy" in md
    for items in kit.assignment_rubrics.values():
        for q in items:
            if q.get("strong_answer"):
                assert q["strong_answer"].strip()[:60] not in sk.rubric_markdown(q)
    # the rubrics page never touches the field
    assert "strong_answer" not in (BOOK / "instructors" / "rubrics.md").read_text("utf-8")


def test_rubric_files_in_both_layouts_load(tmp_path):
    (tmp_path / "rubrics").mkdir()
    q = {"grade_id": "q1_answer", "points": 1,
         "criteria": [{"criterion": "c", "levels": [{"points": 1, "descriptor": "d"},
                                                    {"points": 0, "descriptor": "e"}]}]}
    (tmp_path / "rubrics" / "psa.yaml").write_text(yaml.safe_dump([q]), "utf-8")
    (tmp_path / "rubrics" / "psb.yaml").write_text(yaml.safe_dump({"assignment": "psb", "questions": [q]}), "utf-8")
    loaded = sk.load_assignment_rubrics(tmp_path)
    assert loaded["psa"] == [q] and loaded["psb"] == [q]
    (tmp_path / "rubrics" / "psc.yaml").write_text("just a string\n", "utf-8")
    with pytest.raises(sk.SeminarKitError, match="psc.yaml"):
        sk.load_assignment_rubrics(tmp_path)


# -- outcomes and alignment ----------------------------------------------------------------------


def check_outcomes(kit, outcomes, questions=None):
    return sk.check_outcomes(outcomes, kit.chapters, kit.bib, kit.lab_ids,
                             kit.questions if questions is None else questions,
                             {a["id"]: a["kind"] for a in kit.syllabus["assignments"]})


def test_every_outcome_is_covered_and_every_assignment_question_maps_to_one(kit):
    assert check_outcomes(kit, kit.outcomes) == []
    qo = sk.question_outcomes_frame(kit)
    assert len(qo) == len(kit.questions) > 0
    assert all(qo["outcomes"].map(len) > 0)
    align = sk.alignment_frame(kit)
    assert align["chapters"].map(len).min() > 0 and align["readings"].map(len).min() > 0


def test_an_outcome_with_no_coverage_fails(kit):
    outcomes = copy.deepcopy(kit.outcomes)
    outcomes["outcomes"].append({"id": "LO9", "statement": "do something untaught."})
    found = check_outcomes(kit, outcomes)
    assert "outcome LO9: covered by no chapter" in found
    assert "outcome LO9: covered by no reading" in found
    assert "outcome LO9: practised in no lab and assessed by no assignment" in found


def test_an_assignment_question_mapped_to_no_outcome_fails(kit):
    questions = pd.concat([kit.questions, pd.DataFrame([{
        "assignment": "ps1", "grade_id": "test_new_part", "kind": "autograded", "points": 2.0}])],
        ignore_index=True)
    assert check_outcomes(kit, kit.outcomes, questions) == [
        "assignment question ps1/test_new_part maps to no outcome"]


def test_an_outcome_mapped_to_a_question_that_does_not_exist_fails(kit):
    outcomes = copy.deepcopy(kit.outcomes)
    outcomes["outcomes"][0]["questions"]["ps1"].append("q7_answer")
    assert check_outcomes(kit, outcomes) == [
        "outcome LO1: ps1/q7_answer is not a graded question of a source notebook"]


def test_a_paper_or_lab_that_supports_no_outcome_fails(kit):
    outcomes = copy.deepcopy(kit.outcomes)
    for o in outcomes["outcomes"]:
        o["papers"] = [p for p in o.get("papers") or [] if p != "paper_proposal"]
        o["labs"] = [lab for lab in o.get("labs") or [] if lab != "lab_governance"]
    found = check_outcomes(kit, outcomes)
    assert "paper paper_proposal assesses no outcome" in found
    assert "lab lab_governance supports no outcome" in found


def test_assignment_questions_come_from_nbgrader_metadata_only(tmp_path):
    def cell(kind, source, **meta):
        return {"cell_type": kind, "metadata": {"nbgrader": meta} if meta else {}, "source": source,
                **({"outputs": [], "execution_count": None} if kind == "code" else {})}
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("code", "### BEGIN SOLUTION\nsecret = 1\n### END SOLUTION", grade_id="f", solution=True, grade=False),
        cell("code", "assert f", grade_id="test_f", solution=False, grade=True, points=2),
        cell("markdown", "An answer", grade_id="q1_answer", solution=True, grade=True, points=3),
        cell("markdown", "Plain text"),
    ]}
    (tmp_path / "source" / "psx").mkdir(parents=True)
    (tmp_path / "source" / "psx" / "psx.ipynb").write_text(json.dumps(nb), "utf-8")
    q = sk.assignment_questions(tmp_path)
    assert q.to_dict("records") == [
        {"assignment": "psx", "grade_id": "test_f", "kind": "autograded", "points": 2.0},
        {"assignment": "psx", "grade_id": "q1_answer", "kind": "manual", "points": 3.0}]
    assert "secret" not in q.to_string()


# -- self-study path -----------------------------------------------------------------------------


def test_self_study_has_a_checkpoint_with_solution_per_step(kit):
    text = (BOOK / "self_study.md").read_text("utf-8")
    assert sk.check_self_study(text, kit.syllabus) == []
    path = sk.self_study_frame(kit)
    assert list(path["step"]) == list(range(1, 13))
    assert (path["total_min"] == path[["chapter_min", "reading_min", "lab_min", "problem_set_min"]].sum(axis=1)).all()
    assert (path["chapter_min"] > 0).all()
    # each lab's time is counted once, at its first use
    first = path[~path["lab_revisit"] & path["lab"].notna()]
    assert sorted(first["lab"]) == sorted(kit.lab_ids)
    assert path["lab_min"].sum() == sum(lab["time_min"] for lab in kit.syllabus["labs"])


def test_self_study_without_a_checkpoint_or_solution_fails(kit):
    text = (BOOK / "self_study.md").read_text("utf-8")
    broken = text.replace(":label: selfstudy-week-05", ":label: something-else")
    broken = broken.replace("```{solution} selfstudy-week-07", "```{solution} other")
    found = sk.check_self_study(broken, kit.syllabus)
    assert "self-study: no checkpoint selfstudy-week-05" in found
    assert "self-study: checkpoint selfstudy-week-07 has no solution" in found


# -- pages, table of contents, helpers -----------------------------------------------------------


def test_pages_are_in_the_toc_before_the_reference_part():
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text("utf-8"))
    captions = [p["caption"] for p in toc["parts"]]
    files = {p["caption"]: [c["file"] for c in p["chapters"]] for p in toc["parts"]}
    assert files["For instructors"] == ["instructors/index", "instructors/syllabus",
                                        "instructors/session_plans", "instructors/discussion_guides",
                                        "instructors/rubrics", "instructors/outcomes",
                                        "instructors/class_hub"]
    assert files["Self-study"] == ["self_study"]
    assert captions.index("For instructors") < captions.index("Self-study") < captions.index("Reference")
    for name in files["For instructors"] + files["Self-study"]:
        assert (BOOK / f"{name}.md").is_file(), name


def test_md_table_has_a_header_row_and_escapes_pipes():
    md = sk.md_table(pd.DataFrame({"A": ["x|y"], "B": [1]}))
    assert md.splitlines() == ["| A | B |", "|---|---|", "| x\\|y | 1 |"]
    assert sk.hours(135) == "2:15" and sk.hours(60) == "1:00"


def test_bad_data_files_raise_a_clear_error(tmp_path):
    with pytest.raises(sk.SeminarKitError, match="not found"):
        sk.read_yaml(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n", "utf-8")
    with pytest.raises(sk.SeminarKitError, match="bad.yaml is not valid YAML"):
        sk.read_yaml(tmp_path / "bad.yaml")
    with pytest.raises(sk.SeminarKitError, match="no guided reading"):
        sk.reading_minutes(["nosuchauthor2099"], {})


def test_pages_warn_about_problems_instead_of_hiding_them(kit):
    assert sk.problems_markdown(kit) == ""
    questions = pd.concat([kit.questions, pd.DataFrame([{
        "assignment": "ps9", "grade_id": "test_x", "kind": "autograded", "points": 1.0}])],
        ignore_index=True)
    md = sk.problems_markdown(planted(kit, questions=questions))
    assert md.startswith("```{warning}") and "assignment question ps9/test_x maps to no outcome" in md
    assert "assignment ps9 has a source notebook but is not in the calendar" in md
    for page in ["instructors/syllabus", "instructors/session_plans", "instructors/discussion_guides",
                 "instructors/rubrics", "instructors/outcomes", "self_study"]:
        assert "sk.problems_markdown(kit)" in (BOOK / f"{page}.md").read_text("utf-8"), page
