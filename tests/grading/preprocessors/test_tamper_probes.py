"""Tamper detection, kernel level: the canaries of ``course_tools.preprocessors.tamper`` run in a
real kernel (``ResilientExecute``, as the grader runs them, without the sandbox).

Each notebook has two answer cells and two test cells (``t1``, ``t2``). The tricks here are
installed in one answer cell and undone in the next, so that only a check made while the test
cells run can see them; honest notebooks, including one that switches off
the display of expression values, must leave no finding.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_tools.preprocessors.execute import ResilientExecute
from course_tools.preprocessors.tamper import AddCanaries, CheckCanaries, check


def _graded(source: str, grade_id: str, solution: bool = False):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": not solution, "solution": solution, "locked": not solution,
                                 "points": 0 if solution else 1, "grade_id": grade_id,
                                 "schema_version": 3}
    return cell


def _notebook(answer1: str, answer2: str, test1: str = "assert x == 1",
              test2: str = "assert y == 2"):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    nb.cells = [_graded("x = 1\n" + answer1, "a1", solution=True), _graded(test1, "t1"),
                _graded("y = 2\n" + answer2, "a2", solution=True), _graded(test2, "t2")]
    return nb


def _findings(nb) -> tuple[list[str], object]:
    nb, resources = AddCanaries().preprocess(copy.deepcopy(nb), {})
    nb, resources = ResilientExecute(timeout=60).preprocess(nb, resources)
    executed = copy.deepcopy(nb)
    nb, resources = CheckCanaries().preprocess(nb, resources)
    assert nb.metadata["course_tools"]["tamper"] == resources["course_tools"]["tamper"]
    return resources["course_tools"]["tamper"], (executed, resources["course_tools"]["canaries"])


def test_an_honest_notebook_leaves_no_finding_and_no_canary():
    nb = _notebook("", "", test2="assert y == 3, 'wrong'")  # t2 fails honestly
    found, (executed, plan) = _findings(nb)
    assert found == []
    # a trace line in each test cell and one failing probe at the end
    assert [p["fail"] for p in plan["probes"]] == [True] and sorted(plan["tests"]) == [1, 3]
    assert len(executed.cells) == 5


def test_a_failure_hidden_in_one_test_cell_and_restored_after_it_is_flagged():
    # An input transformer wraps every cell in try/except (so a failing assert shows nothing) and
    # the next answer cell removes it again.
    hide = ("def _wrap(lines):\n"
            "    body = ['    ' + l if l.endswith('\\n') else '    ' + l + '\\n' for l in lines]\n"
            "    return ['try:\\n'] + body + ['except BaseException:\\n', '    pass\\n']\n"
            "get_ipython().input_transformers_post.append(_wrap)")
    restore = "get_ipython().input_transformers_post.remove(_wrap)"
    found, (executed, _) = _findings(_notebook(hide, restore, test1="assert x == 99"))
    assert not [o for o in executed.cells[1].outputs if o.output_type == "error"]  # it was hidden
    assert any("test cell 't1' passed without running to its end" in f for f in found), found


def test_a_callback_that_patches_numpy_only_while_a_test_runs_and_is_then_removed_is_flagged():
    patch = ("import numpy\n_real = numpy.isclose\n"
             "def _on(*a): numpy.isclose = lambda *a, **k: True\n"
             "def _off(*a): numpy.isclose = _real\n"
             "get_ipython().events.register('pre_run_cell', _on)\n"
             "get_ipython().events.register('post_run_cell', _off)")
    unpatch = ("get_ipython().events.unregister('pre_run_cell', _on)\n"
               "get_ipython().events.unregister('post_run_cell', _off)")
    found, _ = _findings(_notebook(patch, unpatch, test1="import numpy\nassert numpy.isclose(x, 5)"))
    assert any("event callback added (pre_run_cell)" in f for f in found), found


def test_a_replaced_display_publisher_is_flagged():
    found, _ = _findings(_notebook("get_ipython().display_pub.publish = lambda *a, **k: None", ""))
    assert any("display publisher method publish replaced" in f and "in cell 1 (t1)" in f
               for f in found), found


def test_a_check_that_must_fail_but_passes_is_flagged():
    # An input transformer that empties only the failing probe (a stand-in for any trick that stops
    # failures from showing): the end-of-notebook check must notice that nothing failed.
    trick = ("get_ipython().input_transformers_post.append("
             "lambda lines: [] if any('assert 0,' in l for l in lines) else lines)")
    found, _ = _findings(_notebook(trick, ""))
    assert any("a check that must fail did not fail as it must (no error)" in f for f in found), found


def test_a_kernel_that_dies_before_the_final_check_leaves_passed_tests_unverified():
    # Tests that passed before the death were checked only by their own lines (a trick that only
    # the final check would see, followed by os._exit, must not give a clean grade).
    found, _ = _findings(_notebook("", "import os\nos._exit(1)"))
    assert any("the kernel died before the final check, so the 1 test cell(s) that passed before "
               "(t1) could not be fully verified" in f for f in found), found
    found, _ = _findings(_notebook("", "import os\nos._exit(1)", test1="assert x == 5"))
    assert found == []  # nothing passed before the death: nothing to verify


@pytest.mark.parametrize("answer2", [
    "get_ipython().ast_node_interactivity = 'none'",  # expression values are no longer shown
    "import matplotlib.pyplot as plt\nplt.plot([1, 2])",
    "compile = 're'\nexec = 'run'\nprint = print",  # builtin names reused for the student's own
])
def test_honest_but_unusual_notebooks_leave_no_finding(answer2):
    found, _ = _findings(_notebook("", answer2))
    assert found == []


def test_check_flags_a_report_that_is_missing_or_unreadable():
    nb = _notebook("", "", test1="assert x == 1\n5")  # t1 ends in an expression: a report probe
    nb, resources = AddCanaries().preprocess(nb, {})
    plan = resources["course_tools"]["canaries"]
    assert [p["fail"] for p in plan["probes"]] == [False, True]
    first = plan["probes"][0]
    nb.cells[first["index"]].outputs = [nbformat.from_dict(
        {"output_type": "display_data", "metadata": {},
         "data": {"text/plain": first["nonce"] + " not a report"}})]
    found = check(nb, plan)
    assert any("a check gave an unreadable report" in f for f in found), found
    assert any("a check that must fail did not fail" in f for f in found), found
    assert any("test cell 't2' passed without running to its end" in f for f in found), found


def test_a_test_cell_ending_in_an_expression_is_checked_by_a_cell_after_it():
    found, (executed, plan) = _findings(_notebook("", "", test1="assert x == 1\n1"))
    assert found == [] and sorted(plan["tests"]) == [4]
    trick = "get_ipython().ast_transformers.append(__import__('ast').NodeTransformer())"
    found, _ = _findings(_notebook(trick, "get_ipython().ast_transformers.clear()",
                                   test1="assert x == 1\n1"))
    assert any("AST transformer added" in f and "after cell 1 (t1)" in f for f in found), found


def test_a_trick_followed_by_killing_the_kernel_does_not_help():
    # A transformer that drops assert lines no longer reaches the test text (it runs from the
    # grader's own copy), so the test fails as it should, kernel killed or not.
    trick = ("get_ipython().input_transformers_post.append("
             "lambda lines: [l for l in lines if not l.startswith('assert')])")
    found, (executed, _) = _findings(_notebook(trick, "import os\nos._exit(1)",
                                               test1="assert x == 99"))
    assert [o.ename for o in executed.cells[1].outputs if o.output_type == "error"] == [
        "AssertionError"]


def test_a_passed_test_without_any_report_before_the_kernel_died_is_flagged():
    found, _ = _findings(_notebook("get_ipython().display_pub.publish = lambda *a, **k: None",
                                   "import os\nos._exit(1)"))
    assert any("test cell 't1' passed, but neither its check nor the final one reported" in f
               for f in found), found


#: Wraps every statement of a cell in try/except (an AST that hides failing asserts).
_SWALLOW = (
    "import ast as _a\n"
    "def _swallow(t):\n"
    "    t.body = [_a.Try(body=[n], handlers=[_a.ExceptHandler(type=_a.Name('Exception', _a.Load()),"
    " name=None, body=[_a.Pass()])], orelse=[], finalbody=[]) for n in t.body]\n"
    "    return _a.fix_missing_locations(t)\n")


def _caught(found, executed) -> bool:
    """The trick did not give t1 a clean pass: t1 shows its failure, or a finding names t1."""
    failed = [o for o in executed.cells[1].outputs if o.output_type == "error"]
    return bool(failed) or any("in cell 1 (t1)" in f or "'t1'" in f for f in found)


#: Tricks that intercept IPython's compile path (two rounds of security trials); each is
#: installed in the first answer cell and undone in the second.
COMPILE_PATH = {
    "compiler.ast_parse": (
        _SWALLOW + "_ip = get_ipython()\n_orig = _ip.compile.ast_parse\n"
        "_ip.compile.ast_parse = lambda src, *a, **k: _swallow(_orig(src, *a, **k))",
        "_ip.compile.ast_parse = _orig"),
    "transform_cell on the instance": (
        _SWALLOW + "_ip = get_ipython()\n_tm = _ip.input_transformer_manager\n"
        "_orig = _tm.transform_cell\n"
        "_tm.transform_cell = lambda src: _a.unparse(_swallow(_a.parse(_orig(src)))) + '\\n'",
        "del _tm.transform_cell"),
    "ast_parse on the class": (
        _SWALLOW + "_ip = get_ipython()\n_cls = type(_ip.compile)\n_orig = _cls.ast_parse\n"
        "_cls.ast_parse = lambda self, src, *a, **k: _swallow(_orig(self, src, *a, **k))",
        "_cls.ast_parse = _orig"),
    "module-level compile of IPython's compiler": (
        _SWALLOW + "import builtins as _bi, IPython.core.compilerop as _cop\n"
        "def _soft(source, *a, **k):\n"
        "    tree = _bi.compile(source, *a, **k)\n"
        "    return _swallow(tree) if isinstance(tree, _a.Module) else tree\n"
        "_cop.compile = _soft",
        "del _cop.compile"),
    "functools.partial on ast_parse": (
        _SWALLOW + "import functools\n_ip = get_ipython()\n_orig = _ip.compile.ast_parse\n"
        "_ip.compile.ast_parse = functools.partial("
        "lambda src, *a, **k: _swallow(_orig(src, *a, **k)))",
        "del _ip.compile.ast_parse"),
    "a compiler subclass with partialmethod": (
        _SWALLOW + "import functools\nfrom IPython.core.compilerop import CachingCompiler as _CC\n"
        "_ip = get_ipython()\n"
        "class _C(_CC):\n"
        "    ast_parse = functools.partialmethod("
        "lambda self, c, *a, **k: _swallow(_CC.ast_parse(self, c, *a, **k)))\n"
        "_new = _C(); _new.__dict__.update(_ip.compile.__dict__); _old = _ip.compile\n"
        "_ip.compile = _new",
        "_ip.compile = _old"),
    "a transformer with a borrowed __module__ and a patched linecache": (
        _SWALLOW + "import linecache\n_ip = get_ipython()\n"
        "def _wrap(lines):\n"
        "    return [_a.unparse(_swallow(_a.parse(''.join(lines)))) + '\\n']\n"
        "_wrap.__module__ = 'IPython.core.inputtransformer2'\n"
        "_real = linecache.getlines\n"
        "linecache.getlines = lambda *a, **k: _real(*a, **k)\n"
        "_ip.input_transformers_post.append(_wrap)",
        "_ip.input_transformers_post.remove(_wrap)\nlinecache.getlines = _real"),
    "a transformer that leaves the list while its cell runs": (
        _SWALLOW + "_ip = get_ipython()\n"
        "def _tr(lines):\n"
        "    src = _a.unparse(_swallow(_a.parse(''.join(lines))))\n"
        "    return ['_ip.input_transformers_cleanup.remove(_tr)\\n',"
        " src + '\\n_ip.input_transformers_cleanup.append(_tr)\\n']\n"
        "_ip.input_transformers_cleanup.append(_tr)",
        "_ip.input_transformers_cleanup.remove(_tr)"),
}


#: Softens a test's text: every statement in try/except, so a failing assert shows nothing.
_SOFTEN = (
    "import builtins as _rb, types as _ty, hashlib as _hl, ast as _ast\n"
    "def _soften(text):\n"
    "    tree = _ast.parse(text)\n"
    "    tree.body = [_ast.Try(body=[n], handlers=[_ast.ExceptHandler(type=_ast.Name("
    "'BaseException', _ast.Load()), name=None, body=[_ast.Pass()])], orelse=[], finalbody=[])"
    " for n in tree.body] or [_ast.Pass()]\n"
    "    return _ast.unparse(_ast.fix_missing_locations(tree))\n"
    "_real_exec = _rb.exec\n")
#: An exec that softens the test it is given (and fixes up its checksum) before running it, and a
#: builtins module that offers it.
_FAKE_EXEC = _SOFTEN + (
    "def _exec(code, g=None, l=None):\n"
    "    if isinstance(g, dict):\n"
    "        if g.get('TEST'):\n"
    "            g['TEST'] = _soften(g['TEST'])\n"
    "            g['TEST_SHA'] = _hl.sha256(g['TEST'].encode()).hexdigest()\n"
    "        if g.get('__builtins__') is _fake:\n"
    "            g['__builtins__'] = _rb\n"
    "    return _real_exec(code, g, l)\n"
    "_fake = _ty.ModuleType('builtins'); _fake.__dict__.update(vars(_rb)); _fake.exec = _exec\n")
#: A fourth trial: the test line's own ``import builtins`` went through the namespace's
#: ``__builtins__``, so an ``__import__`` of the student's handed it the fake module. Each trick
#: is installed in the first answer cell and undone in the second.
NAMESPACE = {
    "an __import__ in the namespace's __builtins__ that hands out a fake exec": (
        _FAKE_EXEC + "def _imp(name, *a, **k):\n"
        "    m = _rb.__import__(name, *a, **k)\n"
        "    return _fake if m is _rb else m\n"
        "__builtins__ = dict(vars(_rb), __import__=_imp)",
        "__builtins__ = _rb"),
    "exec as a name in the namespace's __builtins__": (
        _FAKE_EXEC + "__builtins__ = dict(vars(_rb), exec=_exec)",
        "__builtins__ = _rb"),
    "exec replaced in the builtins module itself": (
        _FAKE_EXEC + "_rb.exec = _exec",
        "_rb.exec = _real_exec"),
    "sys.modules['builtins'] swapped for the fake": (
        _FAKE_EXEC + "import sys as _s\n_s.modules['builtins'] = _fake",
        "_s.modules['builtins'] = _rb"),
}

#: A fifth trial, against the fixes of the fourth. Each trick stays in place to the end.
#: A transformer that turns every test line's test into ``pass`` (with a matching checksum).
_TO_PASS = (
    "from hashlib import sha256\n"
    "def _t(lines):\n"
    "    s = ''.join(lines); h = sha256(b'pass').hexdigest()\n"
    "    return [s.replace(\"'TEST': \", \"'TEST': 'pass' or \").replace("
    "\"'TEST_SHA': \", f\"'TEST_SHA': {h!r} or \")]\n")
FIFTH = {
    "a transformer that turns tests into pass, with a forged __module__": (
        _TO_PASS + "_t.__module__ = 'IPython.core.inputtransformer2'\n"
        "get_ipython().input_transformers_cleanup.append(_t)"),
    "a stand-in IPython.core.getipython whose get_ipython gives None": (
        _TO_PASS + "get_ipython().input_transformers_cleanup.append(_t)\n"
        "import sys, types\n"
        "sys.modules['IPython.core.getipython'] = types.SimpleNamespace("
        "get_ipython=lambda: None)"),
    # A sixth trial: a stand-in types module, so that no transformer looked like a function.
    "a stand-in types module with the forged __module__": (
        _TO_PASS + "_t.__module__ = 'IPython.core.inputtransformer2'\n"
        "get_ipython().input_transformers_cleanup.append(_t)\n"
        "import sys, types as _rt\n"
        "_f = _rt.ModuleType('types'); _f.__dict__.update(vars(_rt))\n"
        "_f.FunctionType = type('NotAFunction', (), {})\n"
        "sys.modules['types'] = _f"),
    "the interpreter switched to optimisation level 1 while a test is compiled": (
        "import sys, types, linecache, _testinternalcapi as _tc\n"
        "def _opt(n):\n"
        "    p = sys.path[:]; c = _tc.get_config(); c['optimization_level'] = n\n"
        "    _tc.set_config(c); sys.path[:] = p\n"
        "class _C(dict):\n"
        "    def __setitem__(self, k, v):\n"
        "        if str(k).startswith('<test cell'): _opt(1)\n"
        "        dict.__setitem__(self, k, v)\n"
        "linecache.cache = _C(linecache.cache)\n"
        "import IPython.core.getipython as _g\n"
        "_real = _g.get_ipython\n"
        "def _gi(): _opt(0); return _real()\n"
        "sys.modules['IPython.core.getipython'] = types.SimpleNamespace(get_ipython=_gi)"),
}


@pytest.mark.parametrize("trick", sorted(FIFTH))
def test_tricks_of_the_fifth_trial_never_give_a_clean_pass(trick):
    found, (executed, _) = _findings(_notebook(FIFTH[trick], "", test1="assert x == 99"))
    assert _caught(found, executed), (trick, found)


@pytest.mark.parametrize("trick", sorted(NAMESPACE))
def test_tricks_on_the_builtins_the_test_line_uses_never_give_a_clean_pass(trick):
    patch, undo = NAMESPACE[trick]
    found, (executed, _) = _findings(_notebook(patch, undo, test1="assert x == 99"))
    assert _caught(found, executed), (trick, found)


def test_a_replaced_namespace_builtins_left_in_place_is_flagged():
    patch, _ = NAMESPACE["an __import__ in the namespace's __builtins__ that hands out a fake exec"]
    found, _ = _findings(_notebook(patch, ""))
    assert any("the namespace's __builtins__ was replaced" in f for f in found), found


@pytest.mark.parametrize("trick", sorted(COMPILE_PATH))
def test_tricks_on_the_compile_path_never_give_a_clean_pass(trick):
    patch, undo = COMPILE_PATH[trick]
    found, (executed, _) = _findings(_notebook(patch, undo, test1="assert x == 99"))
    assert _caught(found, executed), (trick, found)


@pytest.mark.parametrize("answer2, flagged", [
    ("np = 40\npd = 0.02\nmath = 'notes'", False),  # short names reused: honest
    ("import types\nnp = types.SimpleNamespace(isclose=lambda *a, **k: True)", True),
    ("import numpy.linalg as np", True),
])
def test_a_reused_short_name_is_flagged_only_when_it_stands_in_for_the_module(answer2, flagged):
    nb = _notebook("import numpy as np, pandas as pd, math", answer2)
    found, _ = _findings(nb)
    assert any("no longer refers to" in f for f in found) is flagged, found
