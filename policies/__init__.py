"""Authorization decisions (Cedar policies and their evaluator) — grown by later issues."""
