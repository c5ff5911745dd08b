import { money } from "../lib/money";

export type Balance = { currency: string; earned: number; pending: number; transferable: number; transferred: number };

export type BalanceRow = { key: string; vendor?: string; balance: Balance };

/** Vendors' money per currency: earned, waiting for shipment, ready to transfer, transferred. */
export function BalanceTable({ caption, rows, byVendor = false }: { caption: string; rows: BalanceRow[]; byVendor?: boolean }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {byVendor && <th scope="col">Vendor</th>}
          <th scope="col">Currency</th>
          <th scope="col">Earned</th>
          <th scope="col">Pending (not shipped)</th>
          <th scope="col">Ready to transfer</th>
          <th scope="col">Transferred</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && <tr><td colSpan={byVendor ? 6 : 5}>Nothing earned yet.</td></tr>}
        {rows.map(({ key, vendor, balance: b }) => (
          <tr key={key}>
            {byVendor && <th scope="row">{vendor}</th>}
            <td>{b.currency}</td>
            <td>{money(b.earned, b.currency)}</td>
            <td>{money(b.pending, b.currency)}</td>
            <td>{money(b.transferable, b.currency)}</td>
            <td>{money(b.transferred, b.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
