"""Data loading: files and folders in many formats and label layouts to a `MultiLabelData`."""

from mlc.data.args import DataArgs
from mlc.data.loader import DataWarning, MultiLabelData, load_data

__all__ = ["DataArgs", "DataWarning", "MultiLabelData", "load_data"]
