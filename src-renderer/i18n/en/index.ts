import common from './common.js';
import consoleMessages from './console.js';
import devices from './devices.js';
import downloads from './downloads.js';
import engine from './engine.js';
import files from './files.js';
import media from './media.js';
import settings from './settings.js';

export const en = { ...common, downloads, media, devices, console: consoleMessages, settings, engine, files };
