import { dockerAvailable } from '../helpers/docker.js';
import { killLoops } from './kill-loops.js';

killLoops('container', await dockerAvailable('kill-loops-container.test.ts'));
