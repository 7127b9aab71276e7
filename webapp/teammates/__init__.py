"""Teammates (the people Signet makes signatures for) and what each source says about them."""
