import { action, loader } from "~/routes/api.webhooks.clerk";

/** Calls the real route module the way Remix does, with a real Request. */
export async function deliver(request: Request): Promise<{ status: number; body: any }> {
  const args = { request, params: {}, context: {} };
  const response = (await (request.method === "GET" ? loader(args) : action(args))) as Response;
  return { status: response.status, body: await response.json() };
}
