import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to a local `souk serve`.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/graphql": "http://127.0.0.1:8080" } },
  test: { environment: "jsdom" },
});
