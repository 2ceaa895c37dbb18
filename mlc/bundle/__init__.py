"""The bundle folder: files only (write, read, validate). mlc.bundle.folder describes its layout."""
