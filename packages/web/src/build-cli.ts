/** `npm run build:app -w @fsbus/web`: writes the production build of the page to static/. */
import { writeApp } from './assets.js';

const files = await writeApp(process.argv[2]);
for (const f of files) process.stdout.write(`${f}\n`);
