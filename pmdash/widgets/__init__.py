"""Textual widgets: pure views of state pushed down by the App."""
