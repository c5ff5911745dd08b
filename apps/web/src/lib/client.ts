import { Client, cacheExchange, fetchExchange } from "urql";
import { tokenFor } from "./session";

/** A GraphQL client that sends the person's token, or the store's. */
export function client(area: "person" | "vendor"): Client {
  return new Client({
    url: "/graphql",
    exchanges: [cacheExchange, fetchExchange],
    requestPolicy: "cache-and-network",
    // The gateway answers GET /graphql with GraphiQL: queries go as POST.
    preferGetMethod: false,
    fetchOptions: () => {
      const token = tokenFor(area);
      return token ? { headers: { authorization: `Bearer ${token}` } } : {};
    },
  });
}
