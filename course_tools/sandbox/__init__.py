"""Where student code runs: the kernel launcher (``launcher``), its mount namespace (``mounts``),
the sandbox user ids (``uids``) and the run's temporary folder (``runs``).

Kept free of imports: the launcher is started as a script by every sandboxed kernel.
"""
