import { killLoops } from './kill-loops.js';

killLoops('clone');
