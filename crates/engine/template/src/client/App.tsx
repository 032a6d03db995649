import { api } from "@/lunora/_generated/api";
import { LunoraError, useMutation } from "@lunora/react";
import { useEffect, useState } from "react";
import { Chat } from "./Chat";

/** The channel named in the URL: `/?channel=general` (the default). */
const channelName = (): string => new URLSearchParams(window.location.search).get("channel") || "general";

/**
 * A mutation whose promise nobody awaits (`void send(...)`) and that the server refused would be
 * lost: its rejection is shown here instead, until dismissed.
 */
const useUnhandledMutationError = (): [string | null, () => void] => {
    const [failure, setFailure] = useState<string | null>(null);
    useEffect(() => {
        const onRejection = (event: PromiseRejectionEvent) => {
            if (!(event.reason instanceof LunoraError)) return;
            event.preventDefault();
            setFailure(`${event.reason.code}: ${event.reason.message}`);
        };
        window.addEventListener("unhandledrejection", onRejection);
        return () => window.removeEventListener("unhandledrejection", onRejection);
    }, []);
    return [failure, () => setFailure(null)];
};

export const App = () => {
    const name = channelName();
    const [failure, dismiss] = useUnhandledMutationError();
    const open = useMutation(api.channels.open);
    const [channelId, setChannelId] = useState<string | null>(null);
    const [error, setError] = useState<string | null>(null);

    useEffect(() => {
        let cancelled = false;
        open({ name }).then(
            (id) => {
                if (!cancelled) setChannelId(id);
            },
            (err: unknown) => {
                if (!cancelled) setError(err instanceof Error ? err.message : String(err));
            },
        );
        return () => {
            cancelled = true;
        };
    }, [name]);

    if (error) return <p role="alert">Could not open #{name}: {error}</p>;
    if (!channelId) return <p>Opening #{name}...</p>;

    return (
        <main>
            <h1>#{name}</h1>
            {failure && (
                <p role="alert">
                    Not sent: {failure}{" "}
                    <button type="button" onClick={dismiss}>
                        Dismiss
                    </button>
                </p>
            )}
            <Chat channelId={channelId} />
        </main>
    );
};
