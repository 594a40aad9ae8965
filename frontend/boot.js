// Starts the console: loads valet_console_bg.wasm beside this file and runs its start function.
// A file of its own because the console's Content-Security-Policy allows no inline script.
import init from "./valet_console.js";

init().catch((error) => {
  const p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.className = "boot-error";
  p.textContent = `The console could not start: ${error}`;
  document.body.append(p);
});
