'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: the container has node and nothing else */
// Entry point inside the container: serve this bundle's model over stdio (PROTOCOLS §7).
const { serve } = require('./serve.cjs');
const { createModel } = require('./model.cjs');

serve(createModel({ dir: __dirname }));
