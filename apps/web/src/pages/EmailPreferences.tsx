import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";

const Preferences = graphql(`
  query NotificationPreferences { notificationPreferences { orderUpdates newOrders } }
`);

const Update = graphql(`
  mutation UpdateNotificationPreferences($orderUpdates: Boolean, $newOrders: Boolean) {
    updateNotificationPreferences(orderUpdates: $orderUpdates, newOrders: $newOrders) { orderUpdates newOrders }
  }
`);

/** The signed-in person's email choices; order-placed and refund emails always go. */
export function EmailPreferences() {
  const [{ data, error }, refetch] = useQuery({ query: Preferences, requestPolicy: "network-only" });
  const [updated, update] = useMutation(Update);
  const chosen = updated.data?.updateNotificationPreferences ?? data?.notificationPreferences;
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  if (!chosen) return null;
  const change = async (choice: { orderUpdates?: boolean; newOrders?: boolean }) => {
    await update(choice);
    refetch({ requestPolicy: "network-only" });
  };
  return (
    <fieldset className="card" aria-labelledby="emails-title">
      <legend id="emails-title">Emails</legend>
      <p>We always email you when you place an order and when one is refunded.</p>
      <label>
        <input type="checkbox" checked={chosen.orderUpdates} disabled={updated.fetching}
          onChange={(e) => change({ orderUpdates: e.target.checked })} />
        Email me when my orders are paid, shipped, delivered, cancelled or expire
      </label>
      <label>
        <input type="checkbox" checked={chosen.newOrders} disabled={updated.fetching}
          onChange={(e) => change({ newOrders: e.target.checked })} />
        Email me about each new order of the stores I own or manage
      </label>
      {updated.error && <p className="error" role="alert">{describe(updated.error)}</p>}
    </fieldset>
  );
}
