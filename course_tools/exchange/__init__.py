"""nbgrader exchange for a class on one JupyterHub server (issue 15).

``classes``: ``ExchangeFactory`` subclasses of nbgrader's default exchange; ``receive``: the
exchange's receiving program, run through sudo as the exchange account (standard library only).
"""
