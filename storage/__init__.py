"""The database seam under every package: the unit of work a service opens, and statements
compiled once for the driver. Imports nothing from the project; every package may import it."""

from storage.statements import DriverStatement, DriverStatements
from storage.unit_of_work import UnitOfWork, begin

__all__ = ["DriverStatement", "DriverStatements", "UnitOfWork", "begin"]
