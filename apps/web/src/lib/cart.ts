/** The cart: lines from any number of vendors, kept in the browser. */
export type CartLine = {
  productId: string;
  sku: string;
  title: string;
  vendorId: string;
  vendorName?: string;
  /** A small picture of the product (its first image's 160 px rendition). */
  image?: string;
  unitPrice: number;
  currency: string;
  quantity: number;
};

export type VendorGroup = {
  vendorId: string;
  vendorName: string;
  lines: CartLine[];
  subtotal: number;
  currency: string;
};

/** Adds `line`, merging with the same product and SKU. */
export function add(lines: CartLine[], line: CartLine): CartLine[] {
  const existing = lines.find((l) => l.productId === line.productId && l.sku === line.sku);
  if (!existing) return [...lines, line];
  return lines.map((l) => (l === existing ? { ...l, quantity: l.quantity + line.quantity } : l));
}

/** Sets a line's quantity; 0 or less removes it. */
export function setQuantity(lines: CartLine[], sku: string, productId: string, quantity: number): CartLine[] {
  if (quantity <= 0) return lines.filter((l) => !(l.sku === sku && l.productId === productId));
  return lines.map((l) => (l.sku === sku && l.productId === productId ? { ...l, quantity } : l));
}

/** The cart as the checkout will split it: one order per vendor. */
export function byVendor(lines: CartLine[]): VendorGroup[] {
  const groups = new Map<string, VendorGroup>();
  for (const line of lines) {
    const group = groups.get(line.vendorId) ?? {
      vendorId: line.vendorId,
      vendorName: line.vendorName ?? `store ${line.vendorId.slice(-8)}`,
      lines: [],
      subtotal: 0,
      currency: line.currency,
    };
    group.lines.push(line);
    group.subtotal += line.unitPrice * line.quantity;
    groups.set(line.vendorId, group);
  }
  return [...groups.values()];
}

export function total(lines: CartLine[]): number {
  return lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
}

const KEY = "souk.cart";

export function load(): CartLine[] {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? (parsed as CartLine[]) : [];
  } catch {
    return [];
  }
}

export function save(lines: CartLine[]): void {
  localStorage.setItem(KEY, JSON.stringify(lines));
}
