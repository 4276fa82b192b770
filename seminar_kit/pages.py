"""The seminar kit's output for the book pages: pandas tables and MyST Markdown blocks.

Tables (weeks, condensed sessions, calendar, alignment, rubrics, self-study path) and the MyST blocks
of a week, a session plan, a discussion cluster and a rubric, rendered by ``book/instructors/*.md``
and ``book/self_study.md``. Data from ``seminar_kit.data``, reading times from ``seminar_kit.checks``.
"""

from __future__ import annotations

import pandas as pd

from seminar_kit.checks import reading_minutes
from seminar_kit.data import Kit, SeminarKitError, chapter_words, lab_title

# --------------------------------------------------------------------------------------------------
# Tables


def cite(keys, mode: str = "t") -> str:
    """MyST citations for bibliography keys, joined with '; ' (empty string for no keys)."""
    return "; ".join(f"{{cite:{mode}}}`{k}`" for k in keys)


def hours(minutes: float) -> str:
    """Minutes as 'h:mm' (e.g. 135 -> '2:15')."""
    minutes = int(round(minutes))
    return f"{minutes // 60}:{minutes % 60:02d}"


def md_table(df: pd.DataFrame) -> str:
    """A MyST (GitHub-style) pipe table with a header row; cell text may hold MyST roles."""
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(c) for c in df.columns) + " |",
             "|" + "|".join("---" for _ in df.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def lab_link(kit: Kit, lab_id: str | None) -> str:
    """A link to the lab's page if the lab is in the table of contents, else its title in italics."""
    if not lab_id:
        return "none"
    title = lab_title(kit.book, lab_id)
    return f"{{doc}}`{title} </labs/{lab_id}>`" if f"labs/{lab_id}" in kit.toc else f"*{title}*"


def chapter_link(docname: str) -> str:
    return f"{{doc}}`/{docname}`"


def _due_by_week(syllabus: dict) -> dict[int, list[str]]:
    due: dict[int, list[str]] = {}
    for a in syllabus["assignments"]:
        due.setdefault(a["due"], []).append(a["id"])
    return due


def weeks_frame(kit: Kit) -> pd.DataFrame:
    """One row per week of the 12-week seminar (plain values: keys, ids, minutes)."""
    due = _due_by_week(kit.syllabus)
    rows = []
    for w in kit.syllabus["weeks"]:
        rows.append({"week": w["week"], "question": w["question"], "chapters": w["chapters"],
                     "required": w["required_readings"], "optional": w.get("optional_readings") or [],
                     "required_min": reading_minutes(w["required_readings"], kit.guides),
                     "optional_min": reading_minutes(w.get("optional_readings") or [], kit.guides),
                     "lab": w.get("lab"), "due": due.get(w["week"], []),
                     "discussion_focus": w["discussion_focus"]})
    return pd.DataFrame(rows)


def condensed_frame(kit: Kit) -> pd.DataFrame:
    """One row per session of the 6-week variant, derived from the weeks it covers."""
    weeks = weeks_frame(kit).set_index("week")
    rows = []
    for s in kit.syllabus["condensed"]:
        sub = weeks.loc[s["weeks"]]
        required = s["required_readings"]
        others = [k for ks in list(sub["required"]) + list(sub["optional"]) for k in ks if k not in required]
        labs = list(dict.fromkeys(x for x in sub["lab"] if x))
        rows.append({"session": s["session"], "weeks": s["weeks"],
                     "questions": list(sub["question"]),
                     "chapters": [c for cs in sub["chapters"] for c in cs],
                     "required": required, "optional": list(dict.fromkeys(others)),
                     "required_min": reading_minutes(required, kit.guides),
                     "labs": labs, "due": [a for ds in sub["due"] for a in ds],
                     "discussion_focus": list(sub["discussion_focus"])})
    return pd.DataFrame(rows)


def calendar_frame(kit: Kit) -> pd.DataFrame:
    """The assignment calendar: id, title, kind, released and due week (12 weeks), due session (6)."""
    session_of = {n: s["session"] for s in kit.syllabus["condensed"] for n in s["weeks"]}
    rows = [{"id": a["id"], "title": a["title"], "kind": a["kind"], "released": a["released"],
             "due": a["due"], "due_condensed": session_of.get(a["due"]), "time_min": a["time_min"]}
            for a in kit.syllabus["assignments"]]
    return pd.DataFrame(rows).sort_values(["due", "id"], kind="stable").reset_index(drop=True)


def alignment_frame(kit: Kit) -> pd.DataFrame:
    """One row per outcome: id, statement, chapters, readings, labs, questions ('ps/grade_id'), papers."""
    rows = []
    for o in kit.outcomes["outcomes"]:
        rows.append({"id": o["id"], "statement": o["statement"], "chapters": o.get("chapters") or [],
                     "readings": o.get("readings") or [], "labs": o.get("labs") or [],
                     "questions": [f"{ps}/{g}" for ps, gs in (o.get("questions") or {}).items() for g in gs],
                     "papers": o.get("papers") or []})
    return pd.DataFrame(rows)


def question_outcomes_frame(kit: Kit) -> pd.DataFrame:
    """Every graded question of the source notebooks with its kind, points and the outcomes it assesses."""
    owners: dict[tuple[str, str], list[str]] = {}
    for o in kit.outcomes["outcomes"]:
        for ps, gids in (o.get("questions") or {}).items():
            for gid in gids:
                owners.setdefault((ps, gid), []).append(o["id"])
    q = kit.questions.copy()
    q["outcomes"] = [owners.get((r.assignment, r.grade_id), []) for r in q.itertuples()]
    return q


def rubric_frame(rubric: dict) -> pd.DataFrame:
    """A rubric as a table: criterion, then one column per level (best first) 'points: descriptor'.

    Only ``criteria`` are read, so fields such as ``strong_answer`` (guidance for graders) never
    reach the table.
    """
    rows = []
    width = max(len(c["levels"]) for c in rubric["criteria"])
    for c in rubric["criteria"]:
        levels = sorted(c["levels"], key=lambda lv: -float(lv["points"]))
        row = {"Criterion": c["criterion"], "Points": f"{float(levels[0]['points']):g}"}
        for i in range(width):
            row[f"Level {i + 1}"] = (f"**{float(levels[i]['points']):g}**: {levels[i]['descriptor'].strip()}"
                                     if i < len(levels) else "")
        rows.append(row)
    return pd.DataFrame(rows)


def self_study_frame(kit: Kit) -> pd.DataFrame:
    """The self-study path: one step per week, with minutes for the chapter, required readings, the
    lab (first use only; later uses are revisits at no extra time) and problem sets due that week."""
    wpm = kit.syllabus["self_study"]["chapter_words_per_minute"]
    lab_min = {lab["id"]: lab["time_min"] for lab in kit.syllabus["labs"]}
    ps = {a["id"]: a for a in kit.syllabus["assignments"] if a["kind"] == "problem set"}
    seen: set[str] = set()
    rows = []
    for w in weeks_frame(kit).itertuples():
        chapter_min = sum(-(-chapter_words(kit.book, ch) // wpm) for ch in w.chapters)
        lab = w.lab
        lab_minutes = 0 if (lab is None or lab in seen) else lab_min[lab]
        revisit = lab in seen
        seen.add(lab)
        sets = [a for a in w.due if a in ps]
        set_min = sum(ps[a]["time_min"] for a in sets)
        rows.append({"step": w.week, "question": w.question, "chapters": w.chapters,
                     "chapter_min": chapter_min, "readings": w.required, "reading_min": w.required_min,
                     "lab": lab, "lab_revisit": revisit, "lab_min": lab_minutes,
                     "problem_sets": sets, "problem_set_min": set_min,
                     "total_min": chapter_min + w.required_min + lab_minutes + set_min})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# MyST Markdown blocks for the pages (rendered with the file-level option
# ``mystnb: render_markdown_format: myst`` so that citations and links resolve)


def reading_list(kit: Kit, keys) -> str:
    """'Author (year), difficulty, N min' for each key, joined with '; ' (or 'none')."""
    if not keys:
        return "none"
    return "; ".join(f"{{cite:t}}`{k}` ({kit.guides[k]['difficulty']}, {kit.guides[k]['reading_time_min']} min)"
                     for k in keys)


def _titles(kit: Kit, ids) -> str:
    by_id = {a["id"]: a for a in kit.syllabus["assignments"]}
    return "; ".join(f"**{i}**: {by_id[i]['title']}" for i in ids) if ids else "nothing"


def week_markdown(kit: Kit, week: int) -> str:
    """The detailed entry of one week of the 12-week syllabus, as MyST Markdown."""
    w = weeks_frame(kit).set_index("week").loc[week]
    return "\n".join([
        f"**Week {week}. {w['question']}**",
        "",
        f"- Chapter: {', '.join(chapter_link(c) for c in w['chapters'])}",
        f"- Required reading ({w['required_min']} min): {reading_list(kit, w['required'])}",
        f"- Optional reading ({w['optional_min']} min): {reading_list(kit, w['optional'])}",
        f"- Model lab: {lab_link(kit, w['lab'])}",
        f"- Due this week: {_titles(kit, w['due'])}",
        f"- Discussion focus: {w['discussion_focus']}",
    ])


def plan_markdown(kit: Kit, week: int) -> str:
    """The 90-minute plan for one week as MyST Markdown: a timed run sheet, then prompts.

    Order: opening question, first activity, model demonstration, remaining activities, exit question.
    """
    plan = next((p for p in kit.plans if p["week"] == week), None)
    if plan is None:
        raise SeminarKitError(f"no session plan for week {week}")
    w = weeks_frame(kit).set_index("week").loc[week]
    demo = plan["demo"]
    acts = plan["activities"]
    steps = [("Opening question", plan["opening"]["minutes"], plan["opening"]["question"].strip())]
    steps += [(acts[0]["title"], acts[0]["minutes"], acts[0]["what"].strip())]
    steps += [(f"Model demonstration: {lab_link(kit, demo['lab'])}, section *{demo['section']}*",
               demo["minutes"], f"Show: {demo['show'].strip()} Ask: {demo['ask'].strip()}")]
    steps += [(a["title"], a["minutes"], a["what"].strip()) for a in acts[1:]]
    steps += [("Exit question", plan["exit"]["minutes"], plan["exit"]["question"].strip())]
    rows, clock = [], 0
    for title, minutes, what in steps:
        rows.append({"Time": f"{hours(clock)}–{hours(clock + minutes)}", "Minutes": minutes,
                     "Step": title, "What happens": what})
        clock += minutes
    prep = [f"**Question of the week.** {w['question']}", "",
            f"**Before class.** Students read {chapter_link(w['chapters'][0])}"
            + (f" and {', '.join(chapter_link(c) for c in w['chapters'][1:])}" if len(w['chapters']) > 1 else "")
            + f" and the required reading ({w['required_min']} min): {reading_list(kit, w['required'])}.",
            "", f"**Due this week.** {_titles(kit, w['due'])}.", "",
            md_table(pd.DataFrame(rows)), "", "**Discussion prompts**", ""]
    prep += [f"{i}. {q}" for i, q in enumerate(plan["discussion_prompts"], start=1)]
    return "\n".join(prep)


def cluster_markdown(kit: Kit, cluster_id: str) -> str:
    """A discussion guide for one cluster: aim, readings (from the guides), questions, debates."""
    c = next((c for c in kit.discussion["clusters"] if c["id"] == cluster_id), None)
    if c is None:
        raise SeminarKitError(f"no discussion cluster {cluster_id!r}")
    readings = [k for k, g in kit.guides.items() if g["chapter"] in c["chapters"]]
    order = {ch: i for i, ch in enumerate(c["chapters"])}
    readings.sort(key=lambda k: order[kit.guides[k]["chapter"]])
    lines = [f"**Aim.** {c['aim'].strip()}", "",
             f"**Chapters.** {', '.join(chapter_link(ch) for ch in c['chapters'])} "
             f"(weeks {', '.join(str(n) for n in c['weeks'])} of the 12-week seminar).", ""]
    if readings:
        table = pd.DataFrame([{"Reading": f"{{cite:t}}`{k}`", "Theme": kit.guides[k].get("theme", ""),
                               "Difficulty": kit.guides[k]["difficulty"],
                               "Minutes": kit.guides[k]["reading_time_min"],
                               "Guide in chapter": chapter_link(kit.guides[k]["chapter"])}
                              for k in readings])
        lines += ["**Readings in this cluster** (each has a guided reading in its chapter):", "",
                  md_table(table), ""]
    lines += ["**Questions across the readings**", ""]
    lines += [f"{i}. {q}" for i, q in enumerate(c["questions"], start=1)]
    for d in c.get("debates") or []:
        lines += ["", f"**Structured debate: {d['title']}.** Motion: *{d['motion'].strip()}*", ""]
        rows = []
        for side, label in (("for", "For the motion"), ("against", "Against the motion")):
            s = d[side]
            rows.append({"Side": label, "Position": s["position"],
                         "Points to make": " ".join(f"({i}) {p.strip()}" for i, p in enumerate(s["points"], 1)),
                         "Draw on": cite(s["draw_on"])})
        lines += [md_table(pd.DataFrame(rows)), "", "Listen for:", ""]
        lines += [f"- {x}" for x in d["listen_for"]]
    return "\n".join(lines)


def debate_format_markdown(kit: Kit) -> str:
    """The common debate format as a timed table, with its total."""
    rows, clock = [], 0
    for s in kit.discussion["debate_format"]:
        rows.append({"Time": f"{hours(clock)}–{hours(clock + s['minutes'])}", "Minutes": s["minutes"],
                     "Step": s["step"]})
        clock += s["minutes"]
    return md_table(pd.DataFrame(rows)) + f"\n\nTotal: {clock} minutes."


def rubric_markdown(rubric: dict, heading: str | None = None) -> str:
    """A rubric as MyST Markdown: optional bold heading, total points, the criteria table.

    Built from :func:`rubric_frame`, so grader-only fields such as ``strong_answer`` are never shown.
    """
    total = sum(max(float(lv["points"]) for lv in c["levels"]) for c in rubric["criteria"])
    out = [f"**{heading}**", ""] if heading else []
    out += [f"Worth {total:g} points.", "", md_table(rubric_frame(rubric))]
    return "\n".join(out)
