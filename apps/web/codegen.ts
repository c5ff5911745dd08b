import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for every query in src/ from the committed schema: a schema change that
// breaks the UI fails `npm run build`.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", NaiveDate: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
