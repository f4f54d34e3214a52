"""Key provider implementations."""
