// GraphQL Code Generator: types for every operation in src/**/backend.ts, from the
// server's SDL in ../schema. `npm run codegen` rewrites src/graphql/; `make test` runs it and
// fails when the committed output differs (stale types).
import type { CodegenConfig } from '@graphql-codegen/cli'

const config: CodegenConfig = {
  schema: '../schema/*.graphql',
  documents: ['src/**/backend.ts'],
  ignoreNoDocuments: false,
  generates: {
    'src/graphql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', JSONValue: 'unknown', BigInt: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
    // Apollo's cache needs the members of unions and interfaces (MonitorAction, Namespace,
    // SearchResult, Node) to match fragments on them.
    'src/graphql/possibleTypes.ts': {
      plugins: ['fragment-matcher'],
      config: { useExplicitTyping: true },
    },
  },
}
export default config
