import { api } from "@/lunora/_generated/api";
import { useMutation, useQuery } from "@lunora/react";
import { useState } from "react";

// A starter panel: tutorial step 6 replaces this file.
export const Chat = ({ channelId }: { channelId: string }) => {
    const messages = useQuery(api.messages.list, { channelId });
    const send = useMutation(api.messages.send);
    const [text, setText] = useState("");

    if (!messages) return <p>Loading...</p>;

    return (
        <div>
            <ul>
                {messages.map((m) => (
                    <li key={m._id}>{m.text}</li>
                ))}
            </ul>
            <form
                onSubmit={(event) => {
                    event.preventDefault();
                    void send({ channelId, text });
                    setText("");
                }}
            >
                <input value={text} onChange={(event) => setText(event.target.value)} />
                <button type="submit">Send</button>
            </form>
        </div>
    );
};
