"""The demo app's layer: its options, the service behind the widgets, and the demo bundle."""
