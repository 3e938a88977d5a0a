"""Qt widgets of the kiosk. Only the GUI thread touches them."""
