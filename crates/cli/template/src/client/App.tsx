import { api } from "@/lunora/_generated/api";
import { useMutation } from "@lunora/react";
import { useEffect, useState } from "react";
import { Chat } from "./Chat";

/** The channel named in the URL: `/?channel=general` (the default). */
const channelName = (): string => new URLSearchParams(window.location.search).get("channel") || "general";

export const App = () => {
    const name = channelName();
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
            <Chat channelId={channelId} />
        </main>
    );
};
