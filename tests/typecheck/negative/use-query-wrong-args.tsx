import { api } from "@/lunora/_generated/api";
import { useQuery } from "@lunora/react";

export const Bad = ({ wrongArg }: { wrongArg: string }) => {
    const messages = useQuery(api.messages.list, { wrongArg });
    return <p>{messages?.length}</p>;
};
