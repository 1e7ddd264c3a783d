// Registers tsx (TypeScript on Node 20) for a script started by its shebang. Imported by path, so
// `tsx` resolves from this repository's node_modules, whatever the current directory is: a
// script's shebang runs `node --import <repo>/scripts/lib/tsx.mjs <script>`.
import "tsx";
