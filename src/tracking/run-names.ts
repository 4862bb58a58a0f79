import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fair', 'gentle', 'glad', 'keen',
  'lively', 'lucky', 'mellow', 'nimble', 'proud', 'quick', 'quiet', 'rare', 'steady', 'swift', 'tidy', 'vivid',
];
const NOUNS = [
  'anchor', 'beacon', 'buoy', 'canoe', 'cove', 'current', 'delta', 'dune', 'harbor', 'heron', 'inlet', 'keel',
  'lagoon', 'mast', 'otter', 'pier', 'reef', 'sail', 'shoal', 'skiff', 'tide', 'wake', 'wharf', 'yawl',
];

/** A readable run name like MLflow's (`swift-heron-417`), used when the client gives none. */
export const randomRunName = (): string =>
  `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
