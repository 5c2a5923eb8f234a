"""Small harness apps for the widget snapshot and Pilot tests: fixed data, size and theme."""
