"""Camera service: pose landmarks → knee angles → reps → form faults, published as events."""
