#!/usr/bin/env node
// CommonJS (bin/package.json): the bundle it loads starts Node without the ES module loader.
require('../dist/cli/main.cjs');
