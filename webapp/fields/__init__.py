"""Smart fields: named placeholders filled from a teammate's Okta attributes or from values kept in Signet."""
