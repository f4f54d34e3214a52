"""Signing in: the password step, second factors, SSO sessions and the brute-force limiter."""
