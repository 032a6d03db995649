import { LunoraProvider } from "@lunora/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

// The client talks to `/api/*` on this origin; vite proxies it to the Worker in dev.
createRoot(root).render(
    <StrictMode>
        <LunoraProvider url={window.location.origin}>
            <App />
        </LunoraProvider>
    </StrictMode>,
);
