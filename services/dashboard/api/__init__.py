"""HTTP surface of the dashboard: dependencies (`deps`) and one router per area (`routes`)."""
