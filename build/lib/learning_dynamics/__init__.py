"""Reference models of learning dynamics for the course on Chinese manufacturing upgrading.

The course follows Herrigel, Wittke and Voskamp (2013), "The Process of Chinese Manufacturing
Upgrading: Transitioning from Unilateral to Recursive Mutual Learning Relations", Global Strategy
Journal. Each module holds one model; see its docstring for equations and sources.
"""

__version__ = "0.1.0"
