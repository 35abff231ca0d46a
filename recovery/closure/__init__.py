"""An action's lifecycle: open, start, propose closure, the one closure decision, reopen."""
