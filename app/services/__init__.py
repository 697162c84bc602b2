"""The domain: every query, rule and permission decision lives here."""
