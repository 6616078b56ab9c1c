"""The CEL runtime without its interactive shell.

The ``cel`` package's ``__init__`` imports its REPL (``cel.cli``: typer, prompt_toolkit, pygments),
about 22 MB of resident memory in every revloop process (each CLI command, daemon and run) for a shell
revloop never opens; the compiler and evaluator are the Rust extension ``cel.cel``. A placeholder
module for ``cel.cli``, registered before the package is first imported, keeps that import from
loading the shell. Peak RSS of ``import cel`` alone: 38.8 MB, 16.2 MB with the placeholder (cel 0.10).
"""

from __future__ import annotations

import sys
import types

if "cel" not in sys.modules:
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli", "cel's REPL: not loaded by revloop"))

# imported after the placeholder, on purpose
import cel

__all__ = ["cel"]
