"""The closure-review queue and screen where deciders work through proposals, oldest first."""
