import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { Link, NavLink, Route, Routes } from "react-router-dom";
import { Provider } from "urql";
import * as cart from "./lib/cart";
import { client } from "./lib/client";
import { SessionProvider, useSession } from "./lib/session";
import { SignIn, Orders } from "./pages/Account";
import { AdminArea } from "./pages/Admin";
import { CartView } from "./pages/Cart";
import { ProductView, Storefront } from "./pages/Storefront";
import { VendorArea } from "./pages/Vendor";

type CartApi = {
  lines: cart.CartLine[];
  addLine: (line: cart.CartLine) => void;
  setLine: (sku: string, productId: string, quantity: number) => void;
  clear: () => void;
};

const CartContext = createContext<CartApi | null>(null);

export function useCart(): CartApi {
  const api = useContext(CartContext);
  if (!api) throw new Error("useCart outside CartProvider");
  return api;
}

function CartProvider({ children }: { children: ReactNode }) {
  const [lines, setLines] = useState(cart.load);
  const keep = useCallback((next: cart.CartLine[]) => {
    cart.save(next);
    setLines(next);
  }, []);
  const api = useMemo<CartApi>(
    () => ({
      lines,
      addLine: (line) => keep(cart.add(lines, line)),
      setLine: (sku, productId, quantity) => keep(cart.setQuantity(lines, sku, productId, quantity)),
      clear: () => keep([]),
    }),
    [lines, keep],
  );
  return <CartContext.Provider value={api}>{children}</CartContext.Provider>;
}

const personClient = client("person");

function Header() {
  const { person, signOut } = useSession();
  const { lines } = useCart();
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  return (
    <header>
      <Link to="/" className="brand">Souk</Link>
      <nav aria-label="Main">
        <NavLink to="/">Shop</NavLink>
        <NavLink to="/cart">Cart ({count})</NavLink>
        {person && <NavLink to="/orders">My orders</NavLink>}
        <NavLink to="/vendor">Sell</NavLink>
        {person?.admin && <NavLink to="/admin">Admin</NavLink>}
        {person ? (
          <button type="button" className="link" onClick={signOut}>Sign out {person.email}</button>
        ) : (
          <NavLink to="/signin">Sign in</NavLink>
        )}
      </nav>
    </header>
  );
}

export function App() {
  return (
    <SessionProvider>
      <CartProvider>
        <Provider value={personClient}>
          <a href="#main" className="skip">Skip to content</a>
          <Header />
          <main id="main">
            <Routes>
              <Route path="/" element={<Storefront />} />
              <Route path="/product/:id" element={<ProductView />} />
              <Route path="/cart" element={<CartView />} />
              <Route path="/signin" element={<SignIn />} />
              <Route path="/orders" element={<Orders />} />
              <Route path="/vendor/*" element={<VendorArea />} />
              <Route path="/admin" element={<AdminArea />} />
              <Route path="*" element={<p>There is nothing here. <Link to="/">Back to the shop</Link></p>} />
            </Routes>
          </main>
        </Provider>
      </CartProvider>
    </SessionProvider>
  );
}
