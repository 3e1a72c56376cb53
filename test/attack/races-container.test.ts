import { dockerAvailable } from '../helpers/docker.js';
import { races } from './races.js';

races('container', await dockerAvailable('races-container.test.ts'));
