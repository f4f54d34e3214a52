"""The database seam under every package: statements compiled once for the driver. Imports
nothing from the project, and every package may import it."""

from storage.statements import DriverStatement, DriverStatements

__all__ = ["DriverStatement", "DriverStatements"]
