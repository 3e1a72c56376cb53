import { races } from './races.js';

races('clone');
