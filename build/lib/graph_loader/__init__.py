"""Reading sources, validation, reject reports, idempotent loads, sample data."""

from graph_loader.load import LoadReport, Reject, load_folder, write_rejects
from graph_loader.sources import UnusableInput

__all__ = ["LoadReport", "Reject", "UnusableInput", "load_folder", "write_rejects"]
