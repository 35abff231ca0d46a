"""Email digests: who gets one, what it says, sent once per person and period."""
