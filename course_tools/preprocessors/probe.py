"""The checks a tamper canary runs inside the student's kernel (see ``tamper``).

:func:`probe_source` gives the source of a probe cell, or of the one line appended to a test cell,
that runs :data:`PROBE` in fresh globals (``exec`` with the interpreter's own builtins, so a
student's own variable named ``sum``, ``type`` or ``max`` is not mistaken for tampering).

The line finds those builtins without looking up a single name in the student's namespace
(:data:`TRUSTED_BUILTINS`): an ``import`` statement, or a name such as ``exec``, would go through
the namespace's ``__builtins__``, which student code may replace (a hostile-student trial did,
with an ``__import__`` that handed the line a fake ``exec``). The attributes checked
were read from IPython 8 and ipykernel 6 as installed here; see ``tamper`` for what is checked and
why, and for the limits.
"""

from __future__ import annotations

import hashlib

#: Name bound by every line the canaries add (and the mark by which tracebacks are cleaned of them).
MARK = "_cnry_b"
#: File name under which the checks are compiled (tracebacks are cleaned of its frames).
CHECK_NAME = "<course-tamper-check>"
#: Raised (as a ``KeyError`` with this text) when the interpreter's exec, compile or __import__
#: cannot be found intact; the test then fails, and the final check's failure names tampering.
NOT_INTACT = "tamper check: the interpreter's exec, compile or __import__ was replaced"
#: An expression that gives a copy of the interpreter's builtins dictionary, using only literals,
#: attributes of built-in types and local names: ``().__class__.__class__`` is ``type``; the
#: builtins are those captured by ``BuiltinImporter.find_spec`` (defined by the import system at
#: start-up, before any student code; a function's ``__builtins__`` cannot be reassigned). The
#: dictionary is accepted only if it is a real ``dict`` whose ``exec``, ``compile`` and
#: ``__import__`` are built-in functions of that very dictionary's module; otherwise the expression
#: raises ``KeyError(NOT_INTACT)``.
TRUSTED_BUILTINS = (
    "(lambda T, F, D: D.copy() if T(D) is T({}) and (lambda ok: ok('exec') and ok('compile') "
    "and ok('__import__'))(lambda n: T(D.get(n)) is F and D[n].__name__ == n "
    f"and D[n].__self__.__dict__ is D) else {{}}[{NOT_INTACT!r}])"
    "(().__class__.__class__, ().__class__.__class__(().__class__.__base__.__subclasses__), "
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'BuiltinImporter'][0]"
    ".find_spec.__func__.__builtins__)")
#: Builtin functions and types a test may rely on; each must still be the interpreter's own.
_FUNCTIONS = ("abs", "all", "any", "callable", "divmod", "getattr", "hasattr", "hash", "isinstance",
              "issubclass", "iter", "len", "max", "min", "next", "pow", "print", "repr", "round",
              "setattr", "sorted", "sum", "exec", "eval", "compile", "__import__")
_TYPES = ("bool", "int", "float", "complex", "str", "bytes", "list", "dict", "tuple", "set",
          "frozenset", "range", "zip", "map", "filter", "enumerate", "reversed", "slice", "type",
          "object", "BaseException", "Exception", "AssertionError", "ValueError", "TypeError",
          "NameError", "NotImplementedError", "ZeroDivisionError", "KeyError", "IndexError",
          "AttributeError", "RuntimeError", "ArithmeticError", "LookupError")
_SHELL_METHODS = ("run_cell", "run_cell_async", "_run_cell", "run_ast_nodes", "run_code",
                  "showtraceback", "_showtraceback", "showsyntaxerror", "transform_cell",
                  "transform_ast", "should_run_async", "ex", "ev")
_KERNEL_METHODS = ("do_execute", "execute_request", "_publish_execute_input")
#: Packages whose functions may sit on the kernel's test machinery (with the standard library).
_KERNEL_PACKAGES = ("IPython", "ipykernel", "jupyter_client", "traitlets", "zmq", "comm",
                    "tornado", "jupyter_core", "matplotlib_inline", "debugpy")
#: Top-level packages whose IPython event callbacks are expected (IPython and ipykernel register
#: their own; matplotlib's pyplot and inline backend register a drawing and a flushing callback).
_CALLBACK_OWNERS = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "nbgrader")

#: Runs inside the student's kernel with fresh globals: NONCE, TRACES (the sys attribute holding
#: the traces of test cells), TOKEN (a test cell's trace, or None in a probe cell) and FAIL are
#: given. Sets REPORT = repr((findings, traces, stored)), where ``stored`` lists (token, findings)
#: of earlier trace lines that found something; publishes "<NONCE> <REPORT>" unless FAIL.
PROBE = r'''
import sys, threading, builtins
found = []
# sys and the types the checks rely on come from objects, never from sys.modules, where student
# code may put stand-ins (a trial's stand-in ``types`` module switched the code checks off).
# T is type and BuiltinFunctionType the type of a built-in method, both reached from literals.
T = ().__class__.__class__
BuiltinFunctionType = T(().__class__.__base__.__subclasses__)
FunctionType = T(lambda: 0)
MethodType = T((lambda: 0).__get__(0))
CodeType = T((lambda: 0).__code__)
ModuleType = T(exec.__self__)
if T(sys.gettrace) is BuiltinFunctionType and sys.gettrace.__name__ == "gettrace":
    sys = sys.gettrace.__self__
else:
    found.append("sys.modules['sys'] is not the interpreter's sys module")
if TEST is not None:
    # The test itself, compiled by the interpreter's own compile from the text the grader wrote
    # (IPython's compile path, its transformers and anything patched into them never see it),
    # run in the student's namespace; an error propagates and fails the test cell as usual.
    import hashlib, linecache
    if hashlib.sha256(TEST.encode()).hexdigest() != TEST_SHA:
        found.append("the test cell's text was changed before it ran (a transformer)")
    _name = "<test cell " + LABEL + ">"
    linecache.cache[_name] = (len(TEST), None, TEST.splitlines(True), _name)
    _frame = sys._getframe().f_back
    # compile and exec are this code's own builtins: the copy the line checked (TRUSTED_BUILTINS).
    # optimize=0: asserts are kept whatever optimisation level the interpreter was switched to.
    _test = compile(TEST, _name, "exec", 0, True, 0)
    exec(_test, _frame.f_globals, _frame.f_locals)
    del _frame, _test
def _checks():
    _owned = ("IPython.", "ipykernel.")
    def _origin(f):
        f = getattr(f, "__func__", f)
        return getattr(f, "__module__", None) or getattr(type(f), "__module__", "") or ""
    try:
        assert 0
    except BaseException as e:
        real = e.__class__
    if real.__name__ != "AssertionError" or real.__flags__ & (1 << 9):
        found.append("the assert statement does not raise the interpreter's AssertionError")
    if builtins.AssertionError is not real:
        found.append("builtins.AssertionError was rebound")
    if builtins is not exec.__self__:
        found.append("sys.modules['builtins'] is not the interpreter's builtins module")
    try:
        from IPython.core.getipython import get_ipython
        ip = get_ipython()
    except BaseException as e:
        ip = None
        found.append("no IPython shell reachable: " + e.__class__.__name__)
    else:
        if ip is None:  # the kernel always has a shell: a stand-in module would skip every check
            found.append("get_ipython() gives no shell (IPython.core.getipython was replaced)")
    if ip is not None:
        tm = ip.input_transformer_manager
        for label, items in (("input transformer", list(ip.input_transformers_cleanup)),
                             ("input transformer", list(ip.input_transformers_post)),
                             ("line transform", list(tm.line_transforms)),
                             ("token transformer", list(tm.token_transformers))):
            for f in items:
                if not _origin(f).startswith(_owned):
                    found.append(label + " added: " + repr(f)[:80])
        if len(ip.ast_transformers):
            found.append("AST transformer added: " + repr(list(ip.ast_transformers))[:80])
        # Event callbacks (pre/post_run_cell, pre/post_execute) can patch the test machinery only
        # while a test runs and restore it before this check: judge each by the module its function
        # comes from (and, for Python functions, by the file its code was read from).
        def _foreign(f):
            g = getattr(f, "__func__", f)
            mod = _origin(g)
            top = mod.split(".")[0]
            if top not in CALLBACK_OWNERS:
                return True
            code = getattr(g, "__code__", None)
            package = getattr(sys.modules.get(top), "__file__", None)
            if code is None:
                return False
            if not package:
                return True
            import os.path
            return not os.path.realpath(code.co_filename).startswith(
                os.path.dirname(os.path.realpath(package)) + os.sep)
        events = getattr(ip, "events", None)
        if events is not None:
            if not _origin(getattr(events, "trigger", None)).startswith(_owned):
                found.append("IPython events.trigger replaced")
            for event, callbacks in sorted(dict(getattr(events, "callbacks", {}) or {}).items()):
                for f in list(callbacks):
                    if _foreign(f):
                        found.append("event callback added (" + str(event) + "): " + repr(f)[:80])
        for name in SHELL_METHODS:
            f = getattr(ip, name, None)
            if f is not None and not _origin(f).startswith(_owned):
                found.append("shell method " + name + " replaced")
        kernel = getattr(ip, "kernel", None)
        for name in KERNEL_METHODS:
            f = getattr(kernel, name, None)
            if kernel is not None and f is not None and not _origin(f).startswith(_owned):
                found.append("kernel method " + name + " replaced")
        for label, obj, owners in (("display publisher", getattr(ip, "display_pub", None), _owned),
                                   ("display hook", getattr(ip, "displayhook", None), _owned),
                                   ("kernel session", getattr(kernel, "session", None),
                                    ("jupyter_client.",))):
            if obj is None:
                continue
            if not type(obj).__module__.startswith(owners):
                found.append(label + " replaced")
            for name in ("publish", "send", "__call__", "write_output_prompt", "write_format_data"):
                f = obj.__dict__.get(name) if hasattr(obj, "__dict__") else None
                if f is not None and not _origin(f).startswith(owners):
                    found.append(label + " method " + name + " replaced")
        # Any Python function stored on the test machinery (its classes or the objects themselves)
        # must come from the interpreter's library or the kernel's own packages: a function the
        # student wrote (in a cell or a file of their own) patched in anywhere is a finding.
        import os
        roots = []
        for top in KERNEL_PACKAGES:
            path = getattr(sys.modules.get(top), "__file__", None)
            if path:
                roots.append(os.path.dirname(path) + os.sep)
                roots.append(os.path.dirname(os.path.realpath(path)) + os.sep)
        for top in ("os", "types"):
            path = os.path.dirname(getattr(sys.modules[top], "__file__", "") or "") + os.sep
            roots += [path, os.path.realpath(path).rstrip(os.sep) + os.sep]
        roots = tuple(r for r in roots if len(r) > 1)

        def _code_ok(f):
            f = getattr(f, "__func__", f)
            f = getattr(f, "__func__", f)  # classmethod/staticmethod objects
            code = getattr(f, "__code__", None)
            if not isinstance(code, CodeType):
                return True
            name = code.co_filename
            return name.startswith(roots) and "-packages" + os.sep not in name[
                len(max((r for r in roots if name.startswith(r)), key=len)):]

        # A transformer that claims a module of IPython's (a writable __module__) must also have
        # code read from the kernel's packages (a hostile-student trial forged the module; event
        # callbacks are judged by their code's file already, in _foreign).
        for f in (list(ip.input_transformers_cleanup) + list(ip.input_transformers_post)
                  + list(tm.line_transforms) + list(tm.token_transformers)):
            g = getattr(f, "__func__", f)
            if not isinstance(g, FunctionType):
                g = getattr(type(g), "__call__", None)  # an instance: its class's __call__
            if isinstance(g, FunctionType) and not _code_ok(g):
                found.append("input transformer added, with code not from the kernel's "
                             "packages: " + repr(f)[:80])
        watched = (("shell", ip), ("kernel", kernel), ("compiler", getattr(ip, "compile", None)),
                   ("input transformer manager", getattr(ip, "input_transformer_manager", None)),
                   ("display publisher", getattr(ip, "display_pub", None)),
                   ("display hook", getattr(ip, "displayhook", None)),
                   ("kernel session", getattr(kernel, "session", None)),
                   ("event manager", getattr(ip, "events", None)))
        for label, obj in watched:
            if obj is None:
                continue
            for klass in type(obj).__mro__[:-1]:
                for name, value in list(vars(klass).items()):
                    if isinstance(value, (FunctionType, staticmethod, classmethod)) \
                            and not _code_ok(value):
                        found.append(label + " class method " + name + " replaced")
            for name, value in list(getattr(obj, "__dict__", {}).items()):
                if isinstance(value, (FunctionType, MethodType)) and not _code_ok(value):
                    found.append(label + " method " + name + " replaced")
    if sys.gettrace() is not None:
        found.append("a trace function is set (sys.settrace)")
    if sys.getprofile() is not None:
        found.append("a profile function is set (sys.setprofile)")
    if getattr(threading, "_trace_hook", None) is not None or getattr(threading, "_profile_hook", None) is not None:
        found.append("a thread trace or profile function is set")
    for name in FUNCTIONS:
        f = builtins.__dict__.get(name)
        if not (f.__class__ is BuiltinFunctionType and getattr(f, "__self__", None) is builtins
                and getattr(f, "__name__", None) == name):
            found.append("builtin " + name + " replaced")
    for name in TYPES:
        t = builtins.__dict__.get(name)
        if not (t.__class__ is type and t.__name__ == name and t.__module__ == "builtins"
                and not t.__flags__ & (1 << 9)):
            found.append("builtin " + name + " replaced")
    def _must_fail(label, call, *args):
        try:
            call(*args)
        except BaseException as e:
            if e.__class__ is not real:
                found.append(label + " raises " + e.__class__.__name__ + " instead of AssertionError")
            return
        found.append(label + " no longer fails on unequal values")
    np = sys.modules.get("numpy")
    if np is not None:
        for name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
                     "assert_almost_equal", "assert_equal", "assert_approx_equal"):
            _must_fail("numpy.testing." + name, getattr(np.testing, name, None) or (lambda *a: None), 1.0, 2.0)
        if sys.modules.get("numpy.testing") is not np.testing:
            found.append("numpy.testing was replaced")
        for name in ("isclose", "allclose", "array_equal"):
            if bool(getattr(np, name)(1.0, 2.0)):
                found.append("numpy." + name + " says 1.0 equals 2.0")
    pd = sys.modules.get("pandas")
    if pd is not None and hasattr(pd, "DataFrame"):
        _must_fail("pandas.testing.assert_frame_equal", pd.testing.assert_frame_equal,
                   pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]}))
        _must_fail("pandas.testing.assert_series_equal", pd.testing.assert_series_equal,
                   pd.Series([1]), pd.Series([2]))
    import math
    if math.isclose(1.0, 2.0):
        found.append("math.isclose says 1.0 equals 2.0")
    if ip is not None:
        # A student may reuse a short name (np = 40); a module or an object offering what tests
        # call (np.isclose, pd.testing...) in its place is a finding.
        space = ip.user_ns.get("__builtins__", None)
        if space is not exec.__self__ and space is not exec.__self__.__dict__:
            found.append("the namespace's __builtins__ was replaced")
        for alias, module, used in (("np", "numpy", ("isclose", "allclose", "testing", "array")),
                                    ("pd", "pandas", ("testing", "DataFrame", "Series")),
                                    ("math", "math", ("isclose",))):
            value = ip.user_ns.get(alias, None)
            if alias in ip.user_ns and module in sys.modules and value is not sys.modules[module]:
                if isinstance(value, ModuleType) or any(
                        hasattr(value, name) for name in used):
                    found.append("the name " + alias + " no longer refers to " + module)
    out = getattr(sys.stdout, "__class__", None)
    if not getattr(out, "__module__", "").startswith(("ipykernel.", "IPython.")):
        found.append("sys.stdout was replaced")
try:
    _checks()
except Exception as e:
    found.append("the checks could not run: " + e.__class__.__name__)
traces = sys.__dict__.setdefault(TRACES, [])
stored = sys.__dict__.setdefault(TRACES + "_found", [])
if TOKEN:
    traces.append(TOKEN)
    if found:
        stored.append((TOKEN, list(found)))
REPORT = repr((found, list(traces), [(str(t), list(f)) for t, f in stored]))
if not FAIL:
    from IPython.display import publish_display_data
    publish_display_data({"text/plain": NONCE + " " + REPORT})
'''



def probe_source(nonce: str, traces: str, fail: bool = False, token: str | None = None,
                 test: str | None = None, label: str = "") -> str:
    """Source of a probe cell, or with ``token`` of the line that replaces a test cell.

    ``nonce`` starts the report; ``traces`` names the ``sys`` attribute holding the traces of test
    cells. A report probe or test line (``fail=False``) publishes ``"<nonce> <report>"`` as
    ``text/plain`` display data; a failing probe ends with ``assert 0, "<nonce> <report>"``.
    The report is ``repr((findings, traces, stored))``: the findings of this check, the tokens of
    the test lines that ran to their end, and (token, findings) of earlier test lines that found
    something. A test line (``token`` and ``test`` given: the test cell's Python text, magics
    already turned into Python) is one line that runs ``test`` (compiled by the interpreter's own
    ``compile`` under the name ``<test cell LABEL>``), then the checks, then records ``token``.
    """
    names = {"NONCE": nonce, "TRACES": traces, "FAIL": fail, "TOKEN": token, "TEST": test,
             "TEST_SHA": hashlib.sha256(test.encode()).hexdigest() if test is not None else None,
             "LABEL": label, "KERNEL_PACKAGES": _KERNEL_PACKAGES,
             "FUNCTIONS": _FUNCTIONS, "TYPES": _TYPES, "SHELL_METHODS": _SHELL_METHODS,
             "KERNEL_METHODS": _KERNEL_METHODS, "CALLBACK_OWNERS": _CALLBACK_OWNERS}
    code = f"{MARK}['compile']({PROBE!r}, {CHECK_NAME!r}, 'exec')"
    if token:
        return (f"{MARK} = {TRUSTED_BUILTINS}; {MARK}['exec']({code}, "
                f"{{'__builtins__': {MARK}, **{names!r}}}); del {MARK}")
    source = (f"{MARK} = {TRUSTED_BUILTINS}\n"
              f"_cnry_g = {{'__builtins__': {MARK}, **{names!r}}}\n"
              f"{MARK}['exec']({code}, _cnry_g)")
    if fail:
        source += f"\nassert 0, {nonce!r} + ' ' + _cnry_g['REPORT']"
    return source
