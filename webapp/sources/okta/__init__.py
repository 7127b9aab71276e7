"""Everything that talks to Okta: input checks, the OAuth flow, the token service and the API client."""
