"""Data loading: files and folders in many formats and label layouts to a `MultiLabelData`."""

from .args import DataArgs
from .loader import DataWarning, MultiLabelData, load_data

__all__ = ["DataArgs", "DataWarning", "MultiLabelData", "load_data"]
