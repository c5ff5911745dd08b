import { tokenFor } from "./session";

/** An answer of the API to a GraphQL multipart request. */
export type UploadAnswer = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };

/**
 * Sends one GraphQL operation with `file` as its `$file` variable, as a
 * multipart request (the GraphQL multipart request spec), with the store's token.
 */
export async function uploadFile(query: string, variables: Record<string, unknown>, file: Blob, name = "image"): Promise<UploadAnswer> {
  const body = new FormData();
  body.append("operations", JSON.stringify({ query, variables: { ...variables, file: null } }));
  body.append("map", JSON.stringify({ 0: ["variables.file"] }));
  body.append("0", file, name);
  const token = tokenFor("vendor");
  let response: Response;
  try {
    response = await fetch("/graphql", { method: "POST", body, headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch {
    // A server that refuses a body too large may close the connection early.
    return { errors: [{ message: "refused", extensions: { code: "MEDIA_TOO_LARGE" } }] };
  }
  try {
    return (await response.json()) as UploadAnswer;
  } catch {
    return { errors: [{ message: "refused", extensions: { code: response.status === 413 ? "MEDIA_TOO_LARGE" : "INTERNAL" } }] };
  }
}

/** The error code of an upload's answer, if it failed. */
export function uploadError(answer: UploadAnswer): string | undefined {
  return answer.errors?.[0]?.extensions?.code ?? (answer.errors?.length ? "INTERNAL" : undefined);
}
