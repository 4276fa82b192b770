"""Where student code runs: the kernel launcher (``launcher``) and the sandbox user ids (``uids``).

Kept free of imports: the launcher is started as a script by every sandboxed kernel.
"""
