// An ES module entry for the same app: under --import, Node < 22.22.3 then runs the ESM loader.
import './main.js';
