"""SFT export of trajectories (TRL messages, OpenSeeker-v1-Data, ShareGPT) and import of released data."""

from openseeker.export.formats import FORMATS, convert, to_messages, to_openseeker, to_sharegpt
from openseeker.export.openseeker_data import import_openseeker, row_to_trajectory
from openseeker.export.sft import ExportReport, export_sft, iter_trajectories

__all__ = [
    "FORMATS",
    "ExportReport",
    "convert",
    "export_sft",
    "import_openseeker",
    "iter_trajectories",
    "row_to_trajectory",
    "to_messages",
    "to_openseeker",
    "to_sharegpt",
]
