"""The kiosk's state, pure Python: no Qt import here (tests run it without Qt)."""
