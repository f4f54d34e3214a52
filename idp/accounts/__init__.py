"""Accounts: organisations, users, NIK and passwords (hashing, argon2 memory, policy)."""
