"""Recovery plans: failure themes and their moves, leadership learning, actions, steps, evidence links."""
