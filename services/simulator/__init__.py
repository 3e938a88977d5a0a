"""The virtual member: scripted reps with ground truth, as pose frames (and, later, force)."""
