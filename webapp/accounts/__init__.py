"""Admins of this instance: accounts, invitations, sign-in and its throttling."""
