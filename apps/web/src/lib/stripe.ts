/**
 * Stripe.js, loaded from Stripe on first use (no npm package: Stripe asks
 * that the script always come from js.stripe.com). Only the little the
 * Payment Element needs is typed here.
 */
export type StripeError = { type?: string; message?: string };

export type StripeElement = { mount: (target: HTMLElement) => void; destroy: () => void };

export type StripeElements = { create: (kind: "payment") => StripeElement };

export type Stripe = {
  elements: (options: { clientSecret: string }) => StripeElements;
  confirmPayment: (options: {
    elements: StripeElements;
    confirmParams: { return_url: string };
    redirect: "if_required";
  }) => Promise<{ error?: StripeError; paymentIntent?: { status: string } }>;
};

type StripeFactory = (publishableKey: string) => Stripe;

declare global {
  interface Window {
    Stripe?: StripeFactory;
  }
}

const SRC = "https://js.stripe.com/v3";
let loading: Promise<StripeFactory> | undefined;

/** Stripe.js's `Stripe` function, adding its script tag once. */
export function loadStripe(): Promise<StripeFactory> {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  loading ??= new Promise<StripeFactory>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = SRC;
    script.async = true;
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error("Stripe.js did not load")));
    script.onerror = () => {
      loading = undefined;
      script.remove();
      reject(new Error("Stripe.js could not be loaded"));
    };
    document.head.appendChild(script);
  });
  return loading;
}
