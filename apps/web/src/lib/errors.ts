import type { CombinedError } from "urql";

/** A human sentence for every error code the API answers with. */
export const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: "Please sign in first.",
  SESSION_REVOKED: "You were signed out; please sign in again.",
  FORBIDDEN: "Your role does not allow this.",
  TENANT_SUSPENDED: "This store is suspended.",
  INSUFFICIENT_STOCK: "Some items ran out of stock.",
  UNKNOWN_SKU: "That item no longer exists.",
  UNKNOWN_PRODUCT: "That product is no longer for sale.",
  DUPLICATE_SKU: "That SKU is already in use.",
  INVALID_QUANTITY: "Please enter a valid quantity.",
  INVALID_SKU: "SKUs use letters, digits and dashes.",
  INVALID_ARGUMENT: "Some of the details are not valid.",
  INVALID_ADDRESS: "Please check the address.",
  INVALID_EMAIL: "Please enter a valid email address.",
  WEAK_PASSWORD: "Please choose a longer password (at least 10 characters).",
  EMAIL_TAKEN: "An account with this email exists; sign in instead.",
  INVALID_CREDENTIALS: "The email or password is wrong.",
  RATE_LIMITED: "Too many requests; please wait a moment and try again.",
  QUOTA_EXCEEDED: "This store has used its monthly requests; upgrade the plan to continue.",
  RESERVATION_CONFLICT: "This order is already being processed.",
  RESERVATION_EXPIRED: "The hold on this stock ran out; the items went back on sale.",
  RESERVATION_NOT_HELD: "This order no longer holds its stock.",
  RESERVATION_MANAGED: "This stock is held for a customer's order: the order itself (its payment, shipment or cancellation) settles it.",
  NOT_FOUND: "We could not find that.",
  UNSUPPORTED_MEDIA: "Please choose a JPEG, PNG or WebP image.",
  MEDIA_TOO_LARGE: "That file is too large for an image.",
  IMAGE_TOO_LARGE: "That image has too many pixels (at most 8000 on a side).",
  INVALID_IMAGE: "That image file is damaged and cannot be read.",
  TOO_MANY_IMAGES: "A product keeps at most 20 images; delete one first.",
  QUERY_TOO_DEEP: "The request was too large.",
  QUERY_TOO_COMPLEX: "The request was too large.",
  BAD_REQUEST: "The request was not understood.",
  PAYLOAD_TOO_LARGE: "That is too large to send.",
  REQUEST_TIMEOUT: "Sending that took too long; try again on a better connection.",
  INVALID_SLUG: "Store addresses use lowercase letters, digits and dashes.",
  SLUG_TAKEN: "That store address is taken.",
  ALREADY_MEMBER: "That person is already on the team.",
  LAST_OWNER: "A store needs at least one owner.",
  ROLE_TOO_HIGH: "You cannot give a role above your own.",
  INVALID_TRANSITION: "The order cannot move to that status now.",
  INVALID_ID: "That id is not valid.",
  INVALID_PRICE: "Please enter a valid price.",
  INVALID_CURRENCY: "Please use a three-letter currency code.",
  CONFLICT: "Someone changed this meanwhile; reload and try again.",
  INVALID_STATE: "This cannot be done in the current state.",
  UNKNOWN_CATEGORY: "That category does not exist.",
  MIXED_CURRENCY: "A cart can only hold one currency.",
  IDEMPOTENCY_CONFLICT: "This was already asked for with other details (another cart or another refund).",
  CHECKOUT_IN_PROGRESS: "Your checkout is still being placed; check your orders in a moment.",
  PLAN_NOT_FOUND: "That plan does not exist.",
  PLAN_RETIRED: "That plan is no longer offered.",
  PLAN_EXISTS: "A plan with that code exists.",
  LIMIT_REACHED: "You have reached the limit; remove one first.",
  UNAVAILABLE: "This is not available right now; please try again later.",
  PAYMENT_MANAGED: "This order is paid by card: its payment moves it, and a refund gives money back.",
  PAYMENT_CLOSED: "This payment is closed already; reload to see where it stands.",
  PAYMENT_PROVIDER_UNAVAILABLE: "The payment provider did not answer; please try again in a moment.",
  MANUAL_PAYMENT_UNAVAILABLE: "A store in your cart only takes online payment; please choose to pay online.",
  TEST_PROVIDER_DISABLED: "Test payments are switched off here.",
  NOT_REFUNDABLE: "This order cannot be refunded: it is not paid online, or nothing is left to refund.",
  REFUND_TOO_LARGE: "That is more than is left to refund on this order.",
  LOCATION_NOT_FOUND: "That stock location does not exist; reload the list.",
  LOCATION_CODE_TAKEN: "A location with that code exists; choose another code.",
  DEFAULT_LOCATION: "The default location always ships and stays active.",
  LOCATION_IN_USE: "This location still holds stock or reserved stock; transfer it elsewhere first.",
  LOCATION_INACTIVE: "That location is not active any more; choose an active one.",
  LOCATION_NOT_SHIPPING: "That location does not ship to customers.",
  LOCATION_LIMIT: "A store can have at most 50 stock locations.",
  INTERNAL: "Something went wrong on our side; please try again.",
};

/** The error codes of a failed operation, first to last. */
export function codes(error: CombinedError | undefined): string[] {
  if (!error) return [];
  if (error.networkError && error.graphQLErrors.length === 0) return ["NETWORK"];
  return error.graphQLErrors.map((e) => String(e.extensions?.code ?? "BAD_REQUEST"));
}

/** One sentence for the user; never raw server text for unknown failures. */
export function describe(error: CombinedError | undefined): string {
  const [code] = codes(error);
  if (!code) return "";
  if (code === "NETWORK") return "Souk cannot be reached; check your connection.";
  return MESSAGES[code] ?? MESSAGES.INTERNAL;
}

export type Shortage = { sku: string; requested: number; available: number };

/** The short SKUs an `INSUFFICIENT_STOCK` error names. */
export function shortages(error: CombinedError | undefined): Shortage[] {
  const found = error?.graphQLErrors.find((e) => e.extensions?.code === "INSUFFICIENT_STOCK");
  const list = found?.extensions?.shortages;
  return Array.isArray(list) ? (list as Shortage[]) : [];
}

/** What the source location had available, when a transfer or adjustment asked for more. */
export function availableStock(error: CombinedError | undefined): number | undefined {
  const found = error?.graphQLErrors.find((e) => e.extensions?.code === "INSUFFICIENT_STOCK");
  const { available, onHand, reserved } = found?.extensions ?? {};
  if (typeof available === "number") return available;
  return typeof onHand === "number" && typeof reserved === "number" ? onHand - reserved : undefined;
}

/** What is left to refund, when a refund asked for more (`REFUND_TOO_LARGE`). */
export function refundable(error: CombinedError | undefined): number | undefined {
  const found = error?.graphQLErrors.find((e) => e.extensions?.code === "REFUND_TOO_LARGE");
  const left = found?.extensions?.refundable;
  return typeof left === "number" ? left : undefined;
}
