"""Comments on versions: models and services (routes live in the review feature's viewer)."""
