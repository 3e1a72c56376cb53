import { races } from './races.js';

races('worktree');
