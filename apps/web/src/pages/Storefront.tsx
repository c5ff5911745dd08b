import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import { useCart } from "../App";

const Products = graphql(`
  query Products($search: String, $category: ID, $vendor: String, $minPrice: Int, $maxPrice: Int, $inStock: Boolean, $sort: ProductSort, $after: String) {
    products(search: $search, category: $category, vendor: $vendor, minPrice: $minPrice, maxPrice: $maxPrice, inStock: $inStock, sort: $sort, first: 12, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id vendorId vendorName title price { amount currency } availability images(first: 1) { url(width: 480) srcset alt } }
    }
  }
`);

const Categories = graphql(`
  query Categories { categories { id name } }
`);

const ProductDetail = graphql(`
  query ProductDetail($id: ID!) {
    product(id: $id) {
      id vendorId vendorName title description price { amount currency }
      images { url(width: 1200) small: url(width: 160) srcset alt }
      variants { sku availability price { amount currency } options { name value } }
    }
  }
`);

function cents(raw: string): number | undefined {
  const value = Number.parseFloat(raw);
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 100) : undefined;
}

/** The storefront: every vendor's products, searchable and filterable, page by page. */
export function Storefront() {
  const [search, setSearch] = useState("");
  const [category, setCategory] = useState("");
  const [vendor, setVendor] = useState("");
  const [minPrice, setMinPrice] = useState("");
  const [maxPrice, setMaxPrice] = useState("");
  const [inStock, setInStock] = useState(false);
  const [sort, setSort] = useState("");
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const filters = {
    search: search.trim() || undefined,
    category: category || undefined,
    vendor: vendor.trim() || undefined,
    minPrice: cents(minPrice),
    maxPrice: cents(maxPrice),
    inStock: inStock || undefined,
    sort: sort || undefined,
  };
  const reset = () => setPages([null]);
  return (
    <section aria-labelledby="shop-title">
      <h1 id="shop-title">Shop every store</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input value={search} onChange={(e) => { setSearch(e.target.value); reset(); }} placeholder="tea, olive oil…" />
        </label>
        <CategoryPicker value={category} onChange={(v) => { setCategory(v); reset(); }} />
        <label>
          Store address
          <input value={vendor} onChange={(e) => { setVendor(e.target.value); reset(); }} placeholder="cedar-kitchen" size={14} />
        </label>
        <label>
          Min price
          <input inputMode="decimal" value={minPrice} onChange={(e) => { setMinPrice(e.target.value); reset(); }} size={6} />
        </label>
        <label>
          Max price
          <input inputMode="decimal" value={maxPrice} onChange={(e) => { setMaxPrice(e.target.value); reset(); }} size={6} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={inStock} onChange={(e) => { setInStock(e.target.checked); reset(); }} />
          In stock only
        </label>
        <label>
          Sort
          <select value={sort} onChange={(e) => { setSort(e.target.value); reset(); }}>
            <option value="">Best match</option>
            <option value="NEWEST">Newest</option>
            <option value="POPULAR">Best sellers</option>
            <option value="PRICE_ASC">Price, low to high</option>
            <option value="PRICE_DESC">Price, high to low</option>
          </select>
        </label>
      </form>
      <ul className="grid" aria-label="Products">
        {pages.map((after, index) => (
          <ProductPage
            key={after ?? "first"}
            variables={{ ...filters, after: after ?? undefined }}
            last={index === pages.length - 1}
            onMore={(cursor) => setPages([...pages, cursor])}
          />
        ))}
      </ul>
    </section>
  );
}

function CategoryPicker({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const [{ data }] = useQuery({ query: Categories });
  return (
    <label>
      Category
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {data?.categories.map((c) => (
          <option key={c.id} value={c.id}>{c.name}</option>
        ))}
      </select>
    </label>
  );
}

type PageProps = {
  variables: Record<string, unknown>;
  last: boolean;
  onMore: (cursor: string) => void;
};

function ProductPage({ variables, last, onMore }: PageProps) {
  const [{ data, fetching, error }] = useQuery({ query: Products, variables });
  if (error) return <li className="error" role="alert">{describe(error)}</li>;
  if (fetching && !data) return <li aria-busy="true">Loading products…</li>;
  const connection = data?.products;
  return (
    <>
      {connection?.nodes.length === 0 && <li>No products match.</li>}
      {!variables.after && connection && connection.totalCount > 0 && (
        <li className="count muted" aria-live="polite">{connection.totalCount} {connection.totalCount === 1 ? "product" : "products"}</li>
      )}
      {connection?.nodes.map((p) => (
        <li key={p.id} className="card">
          {p.images[0] && (
            <img className="thumb" src={p.images[0].url} srcSet={p.images[0].srcset} sizes="(max-width: 600px) 100vw, 240px" alt={p.images[0].alt || p.title} loading="lazy" />
          )}
          <h2><Link to={`/product/${p.id}`}>{p.title}</Link></h2>
          <p className="muted">from {p.vendorName}</p>
          <p>{money(p.price.amount, p.price.currency)}</p>
          <p className={p.availability > 0 ? "ok" : "muted"}>{p.availability > 0 ? `${p.availability} in stock` : "Out of stock"}</p>
        </li>
      ))}
      {last && connection?.pageInfo.hasNextPage && connection.pageInfo.endCursor && (
        <li className="more">
          <button type="button" onClick={() => onMore(connection.pageInfo.endCursor as string)}>Show more</button>
        </li>
      )}
    </>
  );
}

/** One product: its variants with live availability, added to the cart. */
export function ProductView() {
  const { id = "" } = useParams();
  const [{ data, fetching, error }] = useQuery({ query: ProductDetail, variables: { id }, requestPolicy: "network-only" });
  const { addLine } = useCart();
  const [added, setAdded] = useState("");
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  if (fetching && !data) return <p aria-busy="true">Loading…</p>;
  const product = data?.product;
  if (!product) return <p>This product is not for sale.</p>;
  return (
    <article aria-labelledby="product-title">
      <h1 id="product-title">{product.title}</h1>
      <p className="muted">Sold by {product.vendorName}</p>
      {product.images.length > 0 && (
        <div className="gallery">
          {product.images.map((image) => (
            <img key={image.url} src={image.url} srcSet={image.srcset} sizes="(max-width: 600px) 100vw, 480px" alt={image.alt || product.title} />
          ))}
        </div>
      )}
      <p>{product.description}</p>
      <table>
        <caption>Variants</caption>
        <thead><tr><th scope="col">SKU</th><th scope="col">Options</th><th scope="col">Price</th><th scope="col">Available</th><th scope="col"><span className="sr-only">Add</span></th></tr></thead>
        <tbody>
          {product.variants.map((v) => (
            <tr key={v.sku}>
              <td>{v.sku}</td>
              <td>{v.options.map((o) => `${o.name}: ${o.value}`).join(", ") || "—"}</td>
              <td>{money(v.price.amount, v.price.currency)}</td>
              <td>{v.availability}</td>
              <td>
                <button
                  type="button"
                  disabled={v.availability <= 0}
                  onClick={() => {
                    addLine({ productId: product.id, sku: v.sku, title: product.title, vendorId: product.vendorId, vendorName: product.vendorName, image: product.images[0]?.small, unitPrice: v.price.amount, currency: v.price.currency, quantity: 1 });
                    setAdded(v.sku);
                  }}
                >
                  Add {v.sku} to cart
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {added && <p role="status">Added {added} to your cart. <Link to="/cart">View cart</Link></p>}
    </article>
  );
}
