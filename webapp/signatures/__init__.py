"""Each teammate's current rendered signature, kept current by events, and its history."""
