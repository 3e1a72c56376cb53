import type { PolicyRule } from '../config/schema.js';

/**
 * The decision matrix of DESIGN.md as rules, general first: a later match wins, so the specific
 * needs override the everyday default. Project rules in isolane.yaml come after these.
 */
export const BUILT_IN_RULES: ReadonlyArray<PolicyRule & { readonly because: string }> = [
  {
    when: {},
    strategy: 'worktree',
    because: 'trusted local development: lanes share one object store (least disk) and one fetch serves every lane',
  },
  { when: { needs: ['own-remote'] }, strategy: 'clone', because: 'needs a remote of its own: a clone per lane' },
  { when: { needs: ['own-object-store'] }, strategy: 'clone', because: 'needs an object store of its own: a full clone per lane' },
  { when: { needs: ['resource-limits'] }, strategy: 'container', because: 'needs resource limits: a container per lane (cgroups)' },
  { when: { needs: ['process-isolation'] }, strategy: 'container', because: 'needs process isolation: a container per lane' },
  { when: { needs: ['network-isolation'] }, strategy: 'container', because: 'needs network isolation: a container per lane' },
  { when: { trust: 'untrusted' }, strategy: 'container', because: 'untrusted code: only a container keeps it off the host and the main .git' },
];
