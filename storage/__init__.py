"""The database seam under every package, importing nothing of the project: the unit of work a
service opens, and statements compiled once for the driver."""

from storage.statements import DriverStatement, DriverStatements
from storage.unit_of_work import UnitOfWork, begin

__all__ = ["DriverStatement", "DriverStatements", "UnitOfWork", "begin"]
