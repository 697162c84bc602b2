"""The JSON API, mounted at /api/v1. Every route needs a bearer token unless marked public."""
