import common from './common.js';
import consoleMessages from './console.js';
import devices from './devices.js';
import downloads from './downloads.js';
import engine from './engine.js';
import failures from './failures.js';
import files from './files.js';
import media from './media.js';
import queue from './queue.js';
import settings from './settings.js';
import transfer from './transfer.js';

export const zhCN = { ...common, downloads, media, devices, console: consoleMessages, settings, engine, failures, queue, transfer, files };
