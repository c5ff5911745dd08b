import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { useSession } from "../lib/session";

const Vendors = graphql(`
  query AdminVendors($search: String) {
    vendors(search: $search, first: 100) { nodes { id name slug status createdAt } }
  }
`);

const Suspend = graphql(`mutation Suspend($id: ID!) { suspendVendor(id: $id) { id status } }`);
const Reactivate = graphql(`mutation Reactivate($id: ID!) { reactivateVendor(id: $id) { id status } }`);
const Approve = graphql(`mutation Approve($id: ID!) { approveVendor(id: $id) { id status } }`);

/** The admin console: tenants, searchable, approved, suspended and reactivated. */
export function AdminArea() {
  const { person } = useSession();
  const [search, setSearch] = useState("");
  const [{ data, error }, refetch] = useQuery({ query: Vendors, variables: { search: search.trim() || undefined }, pause: !person?.admin, requestPolicy: "network-only" });
  const [suspended, suspend] = useMutation(Suspend);
  const [reactivated, reactivate] = useMutation(Reactivate);
  const [approved, approve] = useMutation(Approve);
  if (!person) return <p><Link to="/signin?next=/admin">Sign in</Link> as a platform admin.</p>;
  if (!person.admin) return <p className="error" role="alert">Only platform admins use the console.</p>;
  const failure = error ?? suspended.error ?? reactivated.error ?? approved.error;
  const act = async (run: () => Promise<unknown>) => { await run(); refetch({ requestPolicy: "network-only" }); };
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Vendors</h1>
      <label>Search<input value={search} onChange={(e) => setSearch(e.target.value)} /></label>
      {failure && <p className="error" role="alert">{describe(failure)}</p>}
      <table>
        <caption className="sr-only">Vendors</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {data?.vendors.nodes.map((v) => (
            <tr key={v.id}>
              <td>{v.name}</td>
              <td>{v.slug}</td>
              <td>{v.status.toLowerCase()}</td>
              <td>
                {v.status === "PENDING" && <button type="button" onClick={() => act(() => approve({ id: v.id }))}>Approve {v.name}</button>}
                {v.status !== "SUSPENDED" && <button type="button" onClick={() => act(() => suspend({ id: v.id }))}>Suspend {v.name}</button>}
                {v.status === "SUSPENDED" && <button type="button" onClick={() => act(() => reactivate({ id: v.id }))}>Reactivate {v.name}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
