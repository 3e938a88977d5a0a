// The report's print button: the browser's own dialog, where "Save as PDF" is a destination.
"use strict";
document.getElementById("print").addEventListener("click", () => window.print());
