"""This workspace's own jobs, beside the runtime: the ML strategy's training (``lean-local train``) and
the demo (``lean-local demo``, the README's main job).

They use ``lean_local`` (the LEAN runtime) and the workspace's ``Library``; ``lean_local`` never imports
them: its command dispatcher loads them by name, as it loads its own commands.
"""
