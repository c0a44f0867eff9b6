#!/usr/bin/env node
// Committed entry point, so that npm links the `ensemble` command at install time,
// before the TypeScript sources are built into dist/.
import '../dist/bin.js';
