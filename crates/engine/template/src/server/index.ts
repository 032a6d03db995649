import { createWorker } from "@lunora/runtime";
import { wiring } from "../../lunora/_generated/wiring";

const lunora = createWorker(wiring);

export default lunora.worker;
export const LunoraShard = lunora.Shard;
