import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// `wrangler dev` serves the Worker here; `lunora dev` starts both.
const worker = "http://127.0.0.1:8787";

export default defineConfig({
    plugins: [react()],
    resolve: {
        alias: { "@": fileURLToPath(new URL(".", import.meta.url)) },
    },
    server: {
        port: 5173,
        strictPort: true,
        proxy: {
            // HTTP calls and the live-query WebSocket both go to the Worker.
            "/api": { target: worker, changeOrigin: true, ws: true },
        },
    },
    build: { outDir: "dist/client" },
});
