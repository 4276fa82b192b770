"""The seminar kit's checks: each ``check_*`` returns the problems it finds (empty when consistent).

Checks the syllabus (readings, budget, calendar), the condensed variant, session plans, discussion
guides, rubrics, outcomes and the self-study path against each other and against the book;
:func:`problems` runs them all, :func:`ensure_consistent` raises :class:`SeminarKitError`, and
:func:`problems_markdown` is the warning the pages show. Data comes from ``seminar_kit.data``.
"""

from __future__ import annotations

import re

import pandas as pd

from seminar_kit.data import ASSIGNMENT_KINDS, Kit, SeminarKitError, lab_headings

# --------------------------------------------------------------------------------------------------
# Checks: each returns a list of problems (empty when consistent)


def reading_minutes(keys, guides: dict) -> int:
    """Total reading time in minutes of the given bibliography keys, from their guided readings.

    Raises SeminarKitError if a key has no guided reading.
    """
    missing = [k for k in keys if k not in guides]
    if missing:
        raise SeminarKitError(f"no guided reading for {missing}")
    return int(sum(int(guides[k]["reading_time_min"]) for k in keys))


def check_syllabus(syllabus: dict, guides: dict, bib: set, chapters: list, lab_ids: list,
                   source_assignments=()) -> list[str]:
    """Problems with the 12-week schedule and the assignment calendar.

    Checks: weeks numbered 1..N; each week has a question, known chapters, at least one required
    reading, readings present in the bibliography and in the guided-reading data, required reading
    within ``reading_budget_min``, a known lab (or none) and a discussion focus; every chapter of the
    book and every lab is scheduled; each assignment id appears once in the calendar, is released
    before or when it is due, and every assignment with a source notebook is in the calendar.
    """
    problems = []
    budget = syllabus.get("reading_budget_min")
    if not isinstance(budget, int) or budget <= 0:
        return [f"reading_budget_min must be a positive integer, got {budget!r}"]
    weeks = syllabus.get("weeks") or []
    numbers = [w.get("week") for w in weeks]
    if numbers != list(range(1, len(weeks) + 1)):
        problems.append(f"weeks must be numbered 1..{len(weeks)} in order, got {numbers}")
    for w in weeks:
        tag = f"week {w.get('week')}"
        for name in ("question", "discussion_focus"):
            if not str(w.get(name) or "").strip():
                problems.append(f"{tag}: no {name}")
        if not w.get("chapters"):
            problems.append(f"{tag}: no chapter")
        for ch in w.get("chapters") or []:
            if ch not in chapters:
                problems.append(f"{tag}: unknown chapter {ch!r}")
        required, optional = w.get("required_readings") or [], w.get("optional_readings") or []
        if not required:
            problems.append(f"{tag}: no required reading")
        for key in set(required) & set(optional):
            problems.append(f"{tag}: {key} is both required and optional")
        for key in required + optional:
            if key not in bib:
                problems.append(f"{tag}: reading {key!r} is not in the bibliography")
            if key not in guides:
                problems.append(f"{tag}: reading {key!r} has no guided reading")
        if all(k in guides for k in required):
            minutes = reading_minutes(required, guides)
            if minutes > budget:
                problems.append(f"{tag}: {minutes} min of required reading exceeds the budget of {budget}")
        if w.get("lab") is not None and w["lab"] not in lab_ids:
            problems.append(f"{tag}: unknown lab {w['lab']!r}")
    scheduled = {ch for w in weeks for ch in w.get("chapters") or []}
    for ch in chapters:
        if ch not in scheduled:
            problems.append(f"chapter {ch} is in no week")
    used_labs = {w.get("lab") for w in weeks}
    for lab in lab_ids:
        if lab not in used_labs:
            problems.append(f"lab {lab} is in no week")
    ids = [a.get("id") for a in syllabus.get("assignments") or []]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"assignment {dup} appears {ids.count(dup)} times in the calendar")
    for a in syllabus.get("assignments") or []:
        tag = f"assignment {a.get('id')}"
        if a.get("kind") not in ASSIGNMENT_KINDS:
            problems.append(f"{tag}: kind must be one of {ASSIGNMENT_KINDS}")
        rel, due = a.get("released"), a.get("due")
        if due not in numbers:
            problems.append(f"{tag}: due week {due!r} is not a week of the course")
        elif not isinstance(rel, int) or not 1 <= rel <= due:
            problems.append(f"{tag}: released week {rel!r} must be between 1 and the due week {due}")
        if not isinstance(a.get("time_min"), int) or a["time_min"] <= 0:
            problems.append(f"{tag}: time_min must be a positive integer")
    for name in source_assignments:
        if name not in ids:
            problems.append(f"assignment {name} has a source notebook but is not in the calendar")
    return problems


def check_condensed(syllabus: dict, guides: dict) -> list[str]:
    """Problems with the 6-week variant: each week covered once and in order, readings drawn from the
    weeks covered, required reading per session within the budget."""
    problems = []
    weeks = {w["week"]: w for w in syllabus.get("weeks") or []}
    sessions = syllabus.get("condensed") or []
    if [s.get("session") for s in sessions] != list(range(1, len(sessions) + 1)):
        problems.append("condensed sessions must be numbered 1..M in order")
    covered = [n for s in sessions for n in s.get("weeks") or []]
    if covered != sorted(weeks):
        problems.append(f"condensed sessions must cover weeks {sorted(weeks)} once each, in order; "
                        f"they cover {covered}")
    budget = syllabus.get("reading_budget_min", 0)
    for s in sessions:
        tag = f"condensed session {s.get('session')}"
        pool = {k for n in s.get("weeks") or [] if n in weeks
                for k in (weeks[n].get("required_readings") or []) + (weeks[n].get("optional_readings") or [])}
        required = s.get("required_readings") or []
        if not required:
            problems.append(f"{tag}: no required reading")
        for key in required:
            if key not in pool:
                problems.append(f"{tag}: reading {key!r} is not a reading of weeks {s.get('weeks')}")
        if all(k in guides for k in required):
            minutes = reading_minutes(required, guides)
            if minutes > budget:
                problems.append(f"{tag}: {minutes} min of required reading exceeds the budget of {budget}")
    return problems


def check_session_plans(plans: list, syllabus: dict, headings: dict) -> list[str]:
    """Problems with the session plans: one per week, minutes adding up to the session length, a
    demonstration from the week's own lab naming a section that exists in that lab.

    ``headings`` maps lab id to the list of its section headings (text only).
    """
    problems = []
    weeks = {w["week"]: w for w in syllabus.get("weeks") or []}
    planned = [p.get("week") for p in plans or []]
    if sorted(planned) != sorted(weeks) or len(set(planned)) != len(planned):
        problems.append(f"need exactly one session plan per week {sorted(weeks)}, got {planned}")
    length = syllabus.get("session_min")
    for p in plans or []:
        tag = f"session plan for week {p.get('week')}"
        for part in ("opening", "exit"):
            if not str((p.get(part) or {}).get("question") or "").strip():
                problems.append(f"{tag}: no {part} question")
        if len(p.get("discussion_prompts") or []) < 2:
            problems.append(f"{tag}: needs at least two discussion prompts")
        if not p.get("activities"):
            problems.append(f"{tag}: no activities")
        demo = p.get("demo") or {}
        total = sum(int(x.get("minutes", 0)) for x in [p.get("opening") or {}, demo, p.get("exit") or {},
                                                        *(p.get("activities") or [])])
        if total != length:
            problems.append(f"{tag}: timings add up to {total} min, not {length}")
        week = weeks.get(p.get("week"))
        if week is not None and demo.get("lab") != week.get("lab"):
            problems.append(f"{tag}: demonstration uses {demo.get('lab')!r} but the week's lab is "
                            f"{week.get('lab')!r}")
        if demo.get("lab") in headings and demo.get("section") not in headings[demo["lab"]]:
            problems.append(f"{tag}: lab {demo['lab']} has no section {demo.get('section')!r}")
        if not (demo.get("show") and demo.get("ask")):
            problems.append(f"{tag}: demonstration needs 'show' and 'ask'")
    return problems


def check_discussion_guides(discussion: dict, chapters: list, bib: set) -> list[str]:
    """Problems with the discussion guides: every chapter in exactly one cluster, questions present,
    each debate with a motion and two sides that draw on readings in the bibliography, and a debate
    format whose steps are timed."""
    problems = []
    clusters = discussion.get("clusters") or []
    seen = [ch for c in clusters for ch in c.get("chapters") or []]
    for ch in chapters:
        if seen.count(ch) != 1:
            problems.append(f"chapter {ch} is in {seen.count(ch)} discussion clusters (need 1)")
    for ch in set(seen) - set(chapters):
        problems.append(f"discussion cluster names unknown chapter {ch!r}")
    if not all(int(s.get("minutes", 0)) > 0 and s.get("step") for s in discussion.get("debate_format") or [None]):
        problems.append("every step of debate_format needs minutes and a step")
    ids = []
    for c in clusters:
        tag = f"cluster {c.get('id')}"
        if len(c.get("questions") or []) < 3:
            problems.append(f"{tag}: needs at least three discussion questions")
        for d in c.get("debates") or []:
            ids.append(d.get("id"))
            if not str(d.get("motion") or "").strip():
                problems.append(f"{tag}: debate {d.get('id')} has no motion")
            for side in ("for", "against"):
                s = d.get(side) or {}
                if not s.get("points"):
                    problems.append(f"{tag}: debate {d.get('id')} side '{side}' has no points")
                if not s.get("draw_on"):
                    problems.append(f"{tag}: debate {d.get('id')} side '{side}' draws on no reading")
                for key in s.get("draw_on") or []:
                    if key not in bib:
                        problems.append(f"{tag}: debate {d.get('id')} cites unknown key {key!r}")
    if len(ids) < 2:
        problems.append("need at least two structured debates")
    if len(set(ids)) != len(ids):
        problems.append("debate ids must be unique")
    return problems


def check_rubric(name: str, rubric: dict, points: float | None = None) -> list[str]:
    """Problems with one rubric ({criteria: [{criterion, levels: [{points, descriptor}]}]}).

    The best level of each criterion must add up to the rubric's points (``points`` if given, else
    ``rubric['points']``); each criterion needs two or more levels with distinct points, one of them 0.
    """
    problems = []
    total = rubric.get("points") if points is None else points
    criteria = rubric.get("criteria") or []
    if not criteria:
        return [f"{name}: no criteria"]
    best = 0.0
    for c in criteria:
        levels = c.get("levels") or []
        pts = [float(lv.get("points", -1)) for lv in levels]
        if not str(c.get("criterion") or "").strip():
            problems.append(f"{name}: a criterion has no name")
        if len(levels) < 2 or len(set(pts)) != len(pts) or min(pts, default=-1) != 0:
            problems.append(f"{name}: criterion {c.get('criterion')!r} needs two or more levels with "
                            "distinct points, the lowest 0")
        if any(not str(lv.get("descriptor") or "").strip() for lv in levels):
            problems.append(f"{name}: criterion {c.get('criterion')!r} has a level with no descriptor")
        best += max(pts, default=0)
    if total is None or abs(best - float(total)) > 1e-9:
        problems.append(f"{name}: best levels add up to {best:g} points, but the rubric is worth {total}")
    return problems


def rubric_for(kit: "Kit", assignment: str, grade_id: str) -> tuple[dict | None, str]:
    """The rubric that applies to a manually graded question, and where it comes from.

    Returns (rubric, 'assignment') from ``assignments/rubrics/<assignment>.yaml`` if that file has the
    question, else (default rubric, 'default') when the default short-answer rubric's points equal the
    question's, else (None, 'missing').
    """
    for q in kit.assignment_rubrics.get(assignment, []):
        if q.get("grade_id") == grade_id:
            return q, "assignment"
    row = kit.questions[(kit.questions["assignment"] == assignment) & (kit.questions["grade_id"] == grade_id)]
    default = kit.seminar_rubrics["written_answer_default"]
    if len(row) and float(row["points"].iloc[0]) == float(default["points"]):
        return default, "default"
    return None, "missing"


def check_rubrics(kit: "Kit") -> list[str]:
    """Problems with all rubrics: seminar rubrics well formed; every assignment rubric question names a
    manually graded cell with the same points; every manually graded question has a rubric."""
    problems = []
    for name, rubric in kit.seminar_rubrics.items():
        problems += check_rubric(name, rubric)
    q = kit.questions
    for ps, items in kit.assignment_rubrics.items():
        for item in items:
            gid = item.get("grade_id")
            row = q[(q["assignment"] == ps) & (q["grade_id"] == gid) & (q["kind"] == "manual")]
            if row.empty:
                problems.append(f"rubric {ps}/{gid}: no manually graded cell {gid} in {ps}")
                continue
            if float(item.get("points", -1)) != float(row["points"].iloc[0]):
                problems.append(f"rubric {ps}/{gid}: {item.get('points')} points, notebook says "
                                f"{row['points'].iloc[0]:g}")
            problems += check_rubric(f"rubric {ps}/{gid}", item)
    for _, row in q[q["kind"] == "manual"].iterrows():
        if rubric_for(kit, row["assignment"], row["grade_id"])[1] == "missing":
            problems.append(f"manual question {row['assignment']}/{row['grade_id']} has no rubric")
    return problems


def check_outcomes(outcomes: dict, chapters: list, bib: set, lab_ids: list, questions: pd.DataFrame,
                   assignments: dict) -> list[str]:
    """Problems with the learning outcomes and their alignment.

    Every outcome needs a statement, at least one chapter, one reading and one lab or assessment, all
    known; every mapped assignment question must exist; every graded question in the source notebooks,
    every chapter, every lab and every paper in the calendar must map to at least one outcome.
    ``assignments`` maps each calendar assignment id to its kind ('problem set' or 'paper').
    """
    problems = []
    items = outcomes.get("outcomes") or []
    ids = [o.get("id") for o in items]
    if len(set(ids)) != len(ids):
        problems.append("outcome ids must be unique")
    graded = {(r.assignment, r.grade_id) for r in questions.itertuples()}
    mapped, mapped_ch, mapped_labs, mapped_asg = set(), set(), set(), set()
    for o in items:
        tag = f"outcome {o.get('id')}"
        if not str(o.get("statement") or "").strip():
            problems.append(f"{tag}: no statement")
        if not o.get("chapters"):
            problems.append(f"{tag}: covered by no chapter")
        if not o.get("readings"):
            problems.append(f"{tag}: covered by no reading")
        if not (o.get("labs") or o.get("questions") or o.get("papers")):
            problems.append(f"{tag}: practised in no lab and assessed by no assignment")
        for ch in o.get("chapters") or []:
            if ch not in chapters:
                problems.append(f"{tag}: unknown chapter {ch!r}")
            mapped_ch.add(ch)
        for key in o.get("readings") or []:
            if key not in bib:
                problems.append(f"{tag}: reading {key!r} is not in the bibliography")
        for lab in o.get("labs") or []:
            if lab not in lab_ids:
                problems.append(f"{tag}: unknown lab {lab!r}")
            mapped_labs.add(lab)
        for paper in o.get("papers") or []:
            if assignments.get(paper) != "paper":
                problems.append(f"{tag}: {paper!r} is not a paper in the calendar")
            mapped_asg.add(paper)
        for ps, gids in (o.get("questions") or {}).items():
            mapped_asg.add(ps)
            for gid in gids or []:
                if (ps, gid) not in graded:
                    problems.append(f"{tag}: {ps}/{gid} is not a graded question of a source notebook")
                mapped.add((ps, gid))
    for ps, gid in sorted(graded - mapped):
        problems.append(f"assignment question {ps}/{gid} maps to no outcome")
    for ch in chapters:
        if ch not in mapped_ch:
            problems.append(f"chapter {ch} supports no outcome")
    for lab in lab_ids:
        if lab not in mapped_labs:
            problems.append(f"lab {lab} supports no outcome")
    for a, kind in assignments.items():
        if kind == "paper" and a not in mapped_asg:
            problems.append(f"paper {a} assesses no outcome")
    return problems


def check_self_study(text: str, syllabus: dict) -> list[str]:
    """Problems with the self-study page: one checkpoint exercise with a solution per week, labelled
    ``selfstudy-week-NN``."""
    problems = []
    labels = re.findall(r"^:label:\s*(selfstudy-\S+)", text, re.M)
    solutions = re.findall(r"```\{solution\}\s+(selfstudy-\S+)", text)
    for w in syllabus.get("weeks") or []:
        label = f"selfstudy-week-{w['week']:02d}"
        if label not in labels:
            problems.append(f"self-study: no checkpoint {label}")
        if label not in solutions:
            problems.append(f"self-study: checkpoint {label} has no solution")
    return problems


def problems(kit: Kit) -> list[str]:
    """Every problem found in the kit's data (empty list when all is consistent)."""
    headings = {lab: [t for _, t in lab_headings(kit.book, lab)] for lab in kit.lab_ids}
    source = sorted(set(kit.questions["assignment"]))
    out = check_syllabus(kit.syllabus, kit.guides, kit.bib, kit.chapters, kit.lab_ids, source)
    out += check_condensed(kit.syllabus, kit.guides)
    out += check_session_plans(kit.plans, kit.syllabus, headings)
    out += check_discussion_guides(kit.discussion, kit.chapters, kit.bib)
    out += check_rubrics(kit)
    out += check_outcomes(kit.outcomes, kit.chapters, kit.bib, kit.lab_ids, kit.questions,
                          {a["id"]: a["kind"] for a in kit.syllabus["assignments"]})
    self_study = kit.book / "self_study.md"
    if self_study.is_file():
        out += check_self_study(self_study.read_text(encoding="utf-8"), kit.syllabus)
    return out


def problems_markdown(kit: Kit) -> str:
    """A MyST warning listing the kit's problems, or '' when there are none.

    The pages show it at the top instead of failing the build, so that a problem set added by
    someone else (whose questions are not yet mapped to an outcome) does not break the book; the
    test suite fails on the same problems.
    """
    found = problems(kit)
    if not found:
        return ""
    items = "\n".join(f"- {p}" for p in found)
    return ("```{warning}\nThe seminar kit's data are inconsistent, so parts of this page may be "
            "incomplete. Fix the data files in `book/data/` (see `tests/book/test_seminar_kit.py`):\n\n"
            f"{items}\n```")


def ensure_consistent(kit: Kit) -> Kit:
    """Return the kit unchanged, or raise SeminarKitError listing every problem."""
    found = problems(kit)
    if found:
        raise SeminarKitError("the seminar kit's data are inconsistent:\n- " + "\n- ".join(found))
    return kit
