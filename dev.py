#!/usr/bin/env python3
"""Set up and run the course package: ``python3 dev.py book``, ``test`` or ``pdf``.

Every command first makes sure a virtual environment in ``.venv`` holds exactly what
``requirements.txt`` pins (plus this repository's ``learning_dynamics`` package); it reinstalls only
when ``requirements.txt`` or ``pyproject.toml`` changed. Needs Python 3.11 and access to PyPI.

    book    build the Jupyter Book strictly into book/_build/html (works offline afterwards)
    test    run the whole test suite (pytest); extra arguments are passed to pytest. The browser
            tests need Debian's Chromium: installed with apt-get when /usr/bin/chromium is missing
    pdf     build a PDF of the whole book into book/_build/latex/book.pdf (LaTeX from Debian's
            TeX Live packages, installed with apt-get when missing)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-requirements"


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the pinned requirements if they are missing or out of date."""
    if sys.version_info[:2] != (3, 11):
        print(f"warning: the course is pinned for Python 3.11; this is {sys.version.split()[0]}",
              file=sys.stderr)
    wanted = _requirements_hash()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    print("Installing pinned requirements (first run only) ...", flush=True)
    subprocess.run(pip + ["install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "--quiet", "-r", str(ROOT / "requirements.txt"),
                          "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted)


#: Debian packages for the browser tests (tests/browser): Chromium, driven by Playwright.
BROWSER_PACKAGES = ["chromium"]
#: Debian packages for the PDF: the LaTeX that Sphinx's LaTeX writer needs (fncychap, titlesec,
#: tabulary, framed, wrapfig, capt-of, needspace... are in texlive-latex-extra), XeLaTeX (Jupyter
#: Book's LaTeX layer, sphinx-jupyterbook-latex, always uses it) with the GNU FreeFont fonts Sphinx
#: picks for it, latexmk to run it, pdftotext (poppler-utils) for the PDF test, and a CJK font for
#: the Chinese and Japanese characters of the glossary and the reference audit (fonts-wqy-microhei,
#: about 2 MB: its CJK Unified Ideographs cover 藤本隆宏 too; book/_ext/latex/cjkfallback.sty).
#: About 87 MB to download.
PDF_PACKAGES = ["texlive-latex-recommended", "texlive-latex-extra", "texlive-fonts-recommended",
                "texlive-xetex", "fonts-freefont-otf", "tex-gyre", "latexmk", "poppler-utils",
                "fonts-wqy-microhei"]
#: The CJK font file that fonts-wqy-microhei installs (fontconfig finds it as "WenQuanYi Micro Hei").
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PDF_TOOLS = ["xelatex", "latexmk", "pdftotext", "kpsewhich"]


def ensure_debian_packages(packages: list[str], needed: bool, what: str) -> bool:
    """apt-get install ``packages`` when ``needed``; True when they are (or were already) there.

    Prints what it does. Returns False, with a message, when it cannot install (no apt-get, not
    root, or apt-get failed); the tests that need the packages then fail with their own message.
    """
    if not needed:
        return True
    apt = shutil.which("apt-get")
    if apt is None or (hasattr(os, "geteuid") and os.geteuid() != 0):
        print(f"note: {what} needs the Debian packages {' '.join(packages)}; install them as root "
              "(apt-get install --no-install-recommends ...). Not installing: "
              + ("apt-get not found." if apt is None else "not running as root."), file=sys.stderr)
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"Installing Debian packages for {what}: {' '.join(packages)} (apt-get) ...", flush=True)
    update = subprocess.run([apt, "update", "-qq"], env=env)
    install = subprocess.run([apt, "install", "-y", "-qq", "--no-install-recommends", *packages],
                             env=env)
    if update.returncode or install.returncode:
        print(f"warning: apt-get could not install {' '.join(packages)}", file=sys.stderr)
        return False
    return True


def ensure_chromium() -> bool:
    """Install Debian's Chromium for the browser tests when /usr/bin/chromium is missing."""
    return ensure_debian_packages(BROWSER_PACKAGES, not Path("/usr/bin/chromium").exists(),
                                  "the browser tests")


def ensure_latex() -> bool:
    """Install TeX Live (and poppler-utils) for the PDF when a tool or LaTeX package is missing."""
    missing = [tool for tool in PDF_TOOLS if shutil.which(tool) is None]
    if not missing:
        probe = subprocess.run(["kpsewhich", "fncychap.sty", "ucharclasses.sty", "FreeSerif.otf"],
                               capture_output=True, text=True)
        missing = [] if len(probe.stdout.split()) == 3 else ["a LaTeX package or font"]
        if not CJK_FONT.exists():
            missing.append("the CJK font")
    return ensure_debian_packages(PDF_PACKAGES, bool(missing), "the PDF")


def build_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # keeps debugger notices off stderr
    return env


def book(extra: list[str]) -> int:
    """Build the book strictly: warnings are errors, nitpicky references, cached execution."""
    cmd = [str(BIN / "jupyter-book"), "build", str(ROOT / "book"),
           "--warningiserror", "--nitpick", "--keep-going", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=build_env()).returncode


def test(extra: list[str]) -> int:
    ensure_chromium()
    ensure_latex()
    cmd = [str(BIN / "python"), "-m", "pytest", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=build_env()).returncode


def pdf(extra: list[str]) -> int:
    """Build book/_build/latex/book.pdf: jupyter-book's pdflatex builder (LaTeX, then latexmk)."""
    if not ensure_latex():
        print("error: the PDF needs TeX Live (see dev.py PDF_PACKAGES).", file=sys.stderr)
        return 1
    cmd = [str(BIN / "jupyter-book"), "build", str(ROOT / "book"), "--builder", "pdflatex",
           "--keep-going", *extra]
    code = subprocess.run(cmd, cwd=ROOT, env=build_env()).returncode
    out = ROOT / "book" / "_build" / "latex" / "book.pdf"
    if code == 0 and out.exists():
        print(f"PDF written to {out.relative_to(ROOT)}")
    return code


COMMANDS = {"book": book, "test": test, "pdf": pdf}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    ensure_environment()
    command, extra = argv[0], argv[1:]
    return COMMANDS[command](extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
