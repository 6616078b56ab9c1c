"""CEL rules run without loading cel's interactive shell (its REPL costs every process ~22 MB)."""

from __future__ import annotations

import subprocess
import sys


def test_compiling_a_rule_loads_no_repl_libraries() -> None:
    code = (
        "import sys\n"
        "from connector.mapping.rules import RuleNames, compile_rule\n"
        "names = RuleNames(frozenset({'score'}), frozenset(), frozenset())\n"
        "rule = compile_rule('score >= 2', where='qualify.rule', names=names)\n"
        "assert rule.evaluate({'score': 3}, {}, {})\n"
        "print(sorted(m for m in ('typer', 'prompt_toolkit', 'pygments') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
