import { project } from '../../vitest.shared.ts';

export default project('example-nextjs', { testTimeout: 60_000, include: ['**/*.test.ts'] });
