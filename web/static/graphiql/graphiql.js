// Boots GraphiQL from the vendored UMD globals (React, ReactDOM, GraphiQL): the token from the
// URL fragment goes into the Headers tab (not persisted), the editor opens on an example query.
import { takeToken } from "/static/shared/session.js";
import { WITHOUT_TOKEN, discoverExample } from "/static/graphiql/example.js";

const token = takeToken();
const query = token ? await discoverExample(token).catch(() => WITHOUT_TOKEN) : WITHOUT_TOKEN;
const headers = token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : "";

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: new URL("/graphql", location.href).href }),
    query,
    defaultQuery: query,
    headers,
    defaultHeaders: headers,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: token ? "headers" : true,
  }),
);
